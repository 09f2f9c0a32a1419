// A plan file decides what root writes: an untrusted, truncated, invalid,
// unknown-version or non-plan file is one paragraph naming the file (and
// line:column where there is one), exit 1, and the root untouched.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRoot } from '../helpers/temp-root.js';
import { ensureBuilt, runCli } from '../safety/built-cli.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { snapshot } from '../safety/snapshot.js';

let s: Scenario;
let dir: string;
let good: string;
let goodText: string;

beforeAll(async () => {
  await ensureBuilt();
  s = await makeScenario();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-planfiles-'));
  good = path.join(dir, 'good.json');
  const r = await runCli(['--plan', '--desired', s.desired, '--root', s.root.dir, '--out', good]);
  expect(r.code).toBe(2);
  goodText = await fs.readFile(good, 'utf8');
});
afterAll(async () => {
  await s.cleanup();
  await fs.rm(dir, { recursive: true, force: true });
});

async function planFile(name: string, text: string, mode = 0o600): Promise<string> {
  const p = path.join(dir, name);
  await fs.writeFile(p, text, { mode });
  await fs.chmod(p, mode);
  return p;
}

async function refused(file: string, ...extra: string[]): Promise<string> {
  const before = await snapshot(s.root.dir, []);
  const r = await runCli(['--apply', '--plan-file', file, '--root', s.root.dir, ...extra]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  // One paragraph, no stack trace.
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(await snapshot(s.root.dir, [])).toEqual(before);
  return r.stderr;
}

const edit = (f: (plan: any) => void): string => {
  const plan = JSON.parse(goodText);
  f(plan);
  return JSON.stringify(plan, null, 1);
};

describe('malformed plan files', () => {
  it('a truncated file names where it ends', async () => {
    const text = goodText.slice(0, Math.floor(goodText.length / 2));
    const lines = text.split('\n');
    const err = await refused(await planFile('truncated.json', text));
    expect(err).toContain(`truncated.json:${lines.length}:${lines[lines.length - 1]!.length + 1}: the file ends in the middle of the plan (truncated?)`);
  });

  it('an empty file', async () => {
    expect(await refused(await planFile('empty.json', ''))).toContain('empty.json:1:1: the file is empty');
  });

  it('broken JSON names line and column', async () => {
    const text = goodText.replace('"formatVersion": 1,', '"formatVersion": 1,,');
    expect(await refused(await planFile('broken.json', text))).toMatch(/broken\.json:2:\d+: not valid JSON/);
  });

  it('an unknown format version', async () => {
    const err = await refused(await planFile('v2.json', goodText.replace('"formatVersion": 1', '"formatVersion": 2')));
    expect(err).toContain('v2.json:2:');
    expect(err).toContain('format version 2, but this reconcile reads version 1 only');
  });

  it('a file that is not a plan: the --format json report of --plan', async () => {
    const report = (await runCli(['--plan', '--desired', s.desired, '--root', s.root.dir, '--format', 'json'])).stdout;
    expect(await refused(await planFile('report.json', report))).toContain('this is not a reconcile plan file');
  });

  it('a hand edit to an operation apply does not know fails the schema, located', async () => {
    const text = edit((p) => {
      p.plan.changes[0].op = { type: 'run-shell', command: 'chmod 4755 /bin/sh' };
    });
    const err = await refused(await planFile('edited-op.json', text));
    expect(err).toMatch(/edited-op\.json:\d+:\d+: \/plan\/changes\/0\/op/);
    expect(err).toContain('"run-shell" is not allowed here (allowed: "write-file", "set-attributes", "remove", "rename-over", "group-members"');
    expect(err).toContain('never edit a plan file by hand');
  });

  it('an unknown key fails the schema', async () => {
    const err = await refused(await planFile('extra-key.json', edit((p) => (p.plan.changes[1].sudo = true))));
    expect(err).toContain('/plan/changes/1: unknown key `sudo`');
  });

  it('a group operation on a path target is refused', async () => {
    const text = edit((p) => {
      const c = p.plan.changes.find((x: { kind: string }) => x.kind === 'file');
      c.op = { type: 'group-members', add: ['mallory'], remove: [] };
    });
    expect(await refused(await planFile('mixed.json', text))).toContain('a file change cannot carry a group-members operation');
  });

  it('an embedded desired state that does not match its digest is refused', async () => {
    const text = edit((p) => (p.desired.files[0].text += '\n# edited\n'));
    expect(await refused(await planFile('desired-edited.json', text))).toContain('does not match its sha256');
  });
});

(isRoot ? describe : describe.skip)('untrusted plan files (as root)', () => {
  it('a plan file owned by another user is refused, naming the fix', async () => {
    const p = await planFile('others.json', goodText);
    await fs.chown(p, 65534, 65534);
    const err = await refused(p);
    expect(err).toContain('refusing to use a plan file that others can change');
    expect(err).toContain('owned by uid 65534, not root');
  });

  it('a group- or world-writable plan file is refused', async () => {
    const err = await refused(await planFile('writable.json', goodText, 0o666));
    expect(err).toMatch(/world-writable and group-writable|world-writable/);
  });

  it('in a directory others can write', async () => {
    const open = path.join(dir, 'open');
    await fs.mkdir(open);
    await fs.chmod(open, 0o777);
    const p = path.join(open, 'plan.json');
    await fs.writeFile(p, goodText, { mode: 0o600 });
    expect(await refused(p)).toContain(`${open} is world-writable`);
  });

  it('--insecure-config accepts it with a warning', async () => {
    const p = await planFile('insecure.json', goodText, 0o666);
    const r = await runCli(['--apply', '--plan-file', p, '--root', s.root.dir, '--insecure-config']);
    expect(r.stderr).toContain('warning: --insecure-config: using a plan file that others can change');
    expect(r.code).toBe(0);
  });
});
