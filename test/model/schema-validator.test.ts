// The build's precompiled validators are used when current, and behave
// exactly like validators compiled at run time.

import { describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { compiledFile, newAjv, schemaDigest, schemaFile, schemaValidator, SCHEMA_NAMES } from '../../src/model/schema-validator.js';

const require = createRequire(import.meta.url);

const documents: Record<string, unknown[]> = {
  'desired-state': [
    parse(await fs.readFile('desired-state/ds01.yaml', 'utf8')),
    { version: 1, resources: [{ id: 'x', kind: 'device-mode', paths: ['/dev/nvidia0'], mode: '0999', owner: 'root', group: 'root' }] },
    { version: 1, resources: [{ id: 'x', kind: 'nope' }] },
    { version: 1, resources: [{ id: 'x', kind: 'file', path: '/etc/motd', contnet: 'typo' }] },
    { version: 2, extra: true },
  ],
  rule: [
    parse(await fs.readFile('rules/nvidia-smi-cache.yaml', 'utf8')),
    { id: 'x', severity: 'loud', match: { type: 'file-content' } },
    { id: 'x' },
  ],
  plan: [
    {
      formatVersion: 1,
      type: 'reconcile-plan',
      tool: { name: 'reconcile', version: '0.1.0' },
      createdAt: '2026-01-01T00:00:00.000Z',
      root: { given: '.', canonical: '/srv/root' },
      host: { hostname: 'ds01', machineId: null },
      desired: { digest: '0'.repeat(64), files: [] },
      rules: { digest: '0'.repeat(64), files: [] },
      targets: [],
      plan: {
        changes: [
          { resource: 'video', kind: 'group', target: 'video', action: 'update', summary: 's', expect: { type: 'group', members: [] }, op: { type: 'group-members', add: ['alice'], remove: [] } },
        ],
        unchanged: [],
        notes: [],
        errors: [],
        summary: {},
      },
    },
    { formatVersion: 1, type: 'reconcile-plan' },
    { formatVersion: 2, plan: { changes: [{ op: { type: 'restore-symlink' } }] } },
  ],
  journal: [
    { type: 'start', runId: '20260101T000000Z-abcdef', time: '2026-01-01T00:00:00.000Z', user: 'root', hostname: 'ds01', pid: 42, root: '/', operation: 'apply', desired: [] },
    null,
    { type: 'start', runId: '../../etc', time: 'yesterday' },
    { type: 'outcome', seq: 1, time: '2026-01-01T00:00:00.000Z', status: 'exploded', message: 'x' },
  ],
};

describe('precompiled schema validators', () => {
  for (const name of SCHEMA_NAMES) {
    it(`${name}: the build's copy is current and is the one used`, async () => {
      const compiled = require(compiledFile(name)) as { schemaSha256: string };
      expect(compiled.schemaSha256).toBe(schemaDigest(await fs.readFile(schemaFile(name), 'utf8')));
      expect(await schemaValidator(name)).toBe(compiled);
    });

    it(`${name}: gives the same verdicts and errors as ajv compiling at run time`, async () => {
      const precompiled = await schemaValidator(name);
      const runtime = (await newAjv(name)).compile(JSON.parse(await fs.readFile(schemaFile(name), 'utf8')));
      for (const doc of documents[name]!) {
        expect(precompiled(doc)).toBe(runtime(doc));
        expect(precompiled.errors ?? null).toEqual(runtime.errors ?? null);
      }
      expect(documents[name]!.map((d) => precompiled(d))).toContain(false);
      expect(precompiled(documents[name]![0])).toBe(true);
    });
  }
});
