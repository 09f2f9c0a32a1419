// file `source:`: content read from the source root (--source DIR, or the
// file's own `sources:`), at load time, so a missing source is a located
// load error naming the resource; plans diff it like inline content.

import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateDesiredStateText } from '../../../src/model/load.js';
import { dir, file } from '../../helpers/temp-root.js';
import { expectUserError } from '../../model/fixtures/expect-user-error.js';
import { expectConvergedAndIdempotent, kindRun, type KindRun } from '../converge.js';

const PROFILE = `  - id: motd
    kind: file
    path: /etc/ds01-motd
    source: config/motd
    mode: "0644"
`;

let run: KindRun | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

describe('file: source', () => {
  it('with sources: beside the desired state, converges; the plan diffs the source; second apply writes nothing', async () => {
    run = await kindRun({ 'etc/ds01-motd': file('old\n') }, PROFILE, { 'repo/config/motd': 'Welcome to DS01\n' });
    await fs.writeFile(run.desired, (await fs.readFile(run.desired, 'utf8')).replace('version: 1\n', 'version: 1\nsources: repo\n'));
    const plan = await run.plan();
    expect(plan.changes).toEqual([
      expect.objectContaining({ target: '/etc/ds01-motd', action: 'update', content: { before: 'old\n', after: 'Welcome to DS01\n' } }),
    ]);
    const text = await run.cli(['--plan', '--desired', run.desired, '--root', run.root.dir]);
    expect(text.stdout).toMatch(/-old\n\s*\+Welcome to DS01/);
    await expectConvergedAndIdempotent(run);
    expect(await fs.readFile(run.root.path('/etc/ds01-motd'), 'utf8')).toBe('Welcome to DS01\n');
  });

  it('--source overrides the file\'s sources:, on plan, apply, check and validate', async () => {
    run = await kindRun({ 'etc': dir() }, PROFILE, { 'repo/config/motd': 'from sources\n', 'other/config/motd': 'from --source\n' });
    await fs.writeFile(run.desired, (await fs.readFile(run.desired, 'utf8')).replace('version: 1\n', 'version: 1\nsources: repo\n'));
    const other = path.join(path.dirname(run.desired), 'other');
    const common = ['--desired', run.desired, '--root', run.root.dir, '--source', other];
    expect((await run.cli(['--validate', ...common])).code).toBe(0);
    expect((await run.cli(['--check', ...common])).code).toBe(2);
    const plan = await run.cli(['--plan', ...common, '--format', 'json']);
    expect(JSON.parse(plan.stdout).changes[0].content.after).toBe('from --source\n');
    expect((await run.cli(['--apply', ...common])).code).toBe(0);
    expect(await fs.readFile(run.root.path('/etc/ds01-motd'), 'utf8')).toBe('from --source\n');
    expect((await run.cli(['--check', ...common])).code).toBe(0);
  });

  it('a missing source is a load error naming the resource and file:line:column (exit 1, nothing applied)', async () => {
    run = await kindRun({}, PROFILE, { 'repo/config/other': 'x\n' });
    const r = await run.cli(['--apply', '--desired', run.desired, '--root', run.root.dir, '--source', path.join(path.dirname(run.desired), 'repo')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^reconcile: error: ${run.desired}:6:13: resources\\[0\\]\\.source: resource motd: source config/motd does not exist under the source root .*/repo \\(from --source\\)\\. Fix: `));
    await expect(fs.lstat(run.root.path('/etc/ds01-motd'))).rejects.toThrow();
  });
});

describe('file: source and validate, bad input', () => {
  const F = 'ds.yaml';
  const at = async (files: Record<string, string>) => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-src-'));
    for (const [n, t] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(tmp, n)), { recursive: true });
      await fs.writeFile(path.join(tmp, n), t);
    }
    return tmp;
  };
  const doc = (body: string) => `version: 1\nresources:\n  - id: f\n    kind: file\n    path: /etc/x\n${body}`;
  const check = async (body: string, sourceRoot?: string) =>
    validateDesiredStateText(doc(body), F, sourceRoot === undefined ? {} : { sourceRoot });

  it('source without any source root', async () => {
    await expectUserError(check('    source: a\n'), `${F}:6:13: resources[0].source: resource f reads source a, but no source root is given`, /--source DIR/);
  });
  it('source is relative, normalised, a string', async () => {
    const root = await at({ a: 'x\n' });
    await expectUserError(check('    source: /etc/passwd\n', root), `${F}:6:13: resources[0].source:`, /relative to the source root/);
    await expectUserError(check('    source: ../a\n', root), `${F}:6:13: resources[0].source: resource f: source "../a" is not a normalised relative path`);
    await expectUserError(check('    source: 5\n', root), `${F}:6:13: resources[0].source:`, /string/);
  });
  it('a source that leads out of the source root through a symlink', async () => {
    const root = await at({ 'a': 'x\n' });
    await fs.symlink('/etc/hostname', path.join(root, 'leak'));
    await expectUserError(check('    source: leak\n', root), `${F}:6:13: resources[0].source: resource f: source leak leads out of the source root`);
  });
  it('a source that is a directory, or not UTF-8', async () => {
    const root = await at({ 'd/x': 'x\n', bin: '' });
    await fs.writeFile(path.join(root, 'bin'), Buffer.from([0xff, 0xfe, 0x00]));
    await expectUserError(check('    source: d\n', root), `${F}:6:13: resources[0].source: resource f: source d is not a regular file`);
    await expectUserError(check('    source: bin\n', root), `${F}:6:13: resources[0].source: resource f: source bin is not UTF-8 text`);
  });
  it('the source root itself is missing', async () => {
    await expectUserError(check('    source: a\n', '/nonexistent-src'), `${F}:6:13: resources[0].source: resource f: the source root /nonexistent-src (from --source) does not exist`);
  });
  it('content and source together, and source on an absent file', async () => {
    const root = await at({ a: 'x\n' });
    await expectUserError(check('    content: x\n    source: a\n', root), `${F}:7:13: resources[0].source: a file takes \`content\` or \`source\`, not both`);
    await expectUserError(check('    state: absent\n    source: a\n', root), `${F}:7:13: resources[0].source: \`source\` has no meaning for a file with \`state: absent\``);
  });
  it('neither content nor source on a present file', async () => {
    await expectUserError(check(''), `${F}:3:5: resources[0].content: missing required key \`content\``, /or a `source:` file/);
  });
  it('sources: at the top level is a string', async () => {
    await expectUserError(validateDesiredStateText('version: 1\nsources: [a]\nresources: []\n', F), `${F}:2:10: sources:`, /string/);
  });
  it('validate: a non-empty list of strings, one holding {}', async () => {
    await expectUserError(check('    content: x\n    validate: visudo -cf {}\n'), `${F}:7:15: resources[0].validate:`, /is a list/);
    await expectUserError(check('    content: x\n    validate: []\n'), `${F}:7:15: resources[0].validate:`, /the command and its arguments/);
    await expectUserError(check('    content: x\n    validate: [visudo, -c]\n'), `${F}:7:15: resources[0].validate: the validator never sees the file`);
    await expectUserError(check('    content: x\n    validate: [visudo, ""]\n'), `${F}:7:`);
    await expectUserError(check('    state: absent\n    validate: [sh, -n, "{}"]\n'), `${F}:7:15: resources[0].validate: \`validate\` has no meaning`);
  });
});
