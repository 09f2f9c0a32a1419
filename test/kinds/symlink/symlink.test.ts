// symlink: one link or many per resource; a wrong link is replaced, never
// followed; a regular file in the way is replaced only after a backup, and a
// rollback puts it back.

import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { validateDesiredStateText } from '../../../src/model/load.js';
import { dir, file, symlink } from '../../helpers/temp-root.js';
import { expectUserError } from '../../model/fixtures/expect-user-error.js';
import { expectConvergedAndIdempotent, kindRun, type KindRun } from '../converge.js';

const LINKS = `  - id: commands
    kind: symlink
    dir: /usr/local/bin
    links:
      ds01-run: /opt/infra/scripts/ds01-run
      ds01-status: /opt/infra/scripts/ds01-status
      ds01-old: /opt/infra/scripts/ds01-old
      ds01-file: /opt/infra/scripts/ds01-file
  - id: motd-link
    kind: symlink
    path: /etc/motd
    target: ../opt/infra/motd
`;

const TREE = {
  'opt/infra/scripts/ds01-run': file('#!/bin/sh\n', { mode: 0o755 }),
  'opt/infra/scripts/ds01-status': file('#!/bin/sh\n', { mode: 0o755 }),
  'opt/infra/scripts/ds01-old': file('#!/bin/sh\n', { mode: 0o755 }),
  'opt/infra/scripts/ds01-file': file('#!/bin/sh\n', { mode: 0o755 }),
  'opt/infra/motd': 'hello\n',
  'usr/local/bin': dir(),
  // A wrong link pointing at a file that must never be written through.
  'usr/local/bin/ds01-old': symlink('/etc/secret'),
  'etc/secret': file('do not touch\n', { mode: 0o600 }),
  // A regular file where a link belongs: replaced only with a backup.
  'usr/local/bin/ds01-file': file('local copy\n', { mode: 0o755 }),
};

let run: KindRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

describe('symlink', () => {
  it('plans one change per link: create, relink, replace a file; the correct one is unchanged', async () => {
    run = await kindRun({ ...TREE, 'usr/local/bin/ds01-status': symlink('/opt/infra/scripts/ds01-status') }, LINKS);
    const plan = await run.plan();
    expect(plan.changes.map((c) => [c.target, c.action, c.attributes?.link])).toEqual([
      ['/usr/local/bin/ds01-run', 'create', { before: null, after: '/opt/infra/scripts/ds01-run' }],
      ['/usr/local/bin/ds01-old', 'update', { before: '/etc/secret', after: '/opt/infra/scripts/ds01-old' }],
      ['/usr/local/bin/ds01-file', 'update', { before: null, after: '/opt/infra/scripts/ds01-file' }],
      ['/etc/motd', 'create', { before: null, after: '../opt/infra/motd' }],
    ]);
    expect(plan.changes[2]!.summary).toMatch(/regular file replaced by symlink .* backed up/);
    expect(plan.unchanged.map((u) => u.target)).toEqual(['/usr/local/bin/ds01-status']);
  });

  it('converges, never writes through the wrong link, and a second apply writes nothing', async () => {
    run = await kindRun(TREE, LINKS);
    await expectConvergedAndIdempotent(run);
    for (const name of ['ds01-run', 'ds01-status', 'ds01-old', 'ds01-file']) {
      expect(await fs.readlink(run.root.path(`/usr/local/bin/${name}`))).toBe(`/opt/infra/scripts/${name}`);
    }
    expect(await fs.readlink(run.root.path('/etc/motd'))).toBe('../opt/infra/motd');
    expect(await fs.readFile(run.root.path('/etc/secret'), 'utf8')).toBe('do not touch\n');
    expect((await fs.stat(run.root.path('/etc/secret'))).mode & 0o7777).toBe(0o600);
  });

  it('backs up the regular file it replaces, and rollback restores it and removes the new links', async () => {
    run = await kindRun(TREE, LINKS);
    const before = await run.picture();
    expect((await run.apply()).code).toBe(0);
    const backups = await fs.readdir(run.root.path('/var/lib/reconcile/backups'));
    expect(backups).toHaveLength(1);
    const copy = run.root.path(`/var/lib/reconcile/backups/${backups[0]}/usr/local/bin/ds01-file`);
    expect(await fs.readFile(copy, 'utf8')).toBe('local copy\n');
    const r = await run.rollback();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const after = await run.picture();
    for (const p of Object.keys(before)) expect([p, after[p]]).toEqual([p, before[p]]);
    expect(Object.keys(after).filter((p) => !(p in before) && !p.startsWith('/var/lib/reconcile'))).toEqual([]);
  });

  it('a directory where a link belongs is an error for that link; the other links still apply', async () => {
    run = await kindRun({ ...TREE, 'usr/local/bin/ds01-run': dir(), 'usr/local/bin/ds01-run/keep': 'data\n' }, LINKS);
    const plan = await run.plan();
    expect(plan.errors).toEqual([
      expect.objectContaining({ resource: 'commands', target: '/usr/local/bin/ds01-run', message: expect.stringMatching(/is a directory, not a symlink/) }),
    ]);
    const r = await run.apply();
    expect(r.code).toBe(1);
    expect(await fs.readFile(run.root.path('/usr/local/bin/ds01-run/keep'), 'utf8')).toBe('data\n');
    expect(await fs.readlink(run.root.path('/usr/local/bin/ds01-status'))).toBe('/opt/infra/scripts/ds01-status');
  });

  it('a missing target is a warning note, not an error (the link is still made)', async () => {
    run = await kindRun({}, '  - id: l\n    kind: symlink\n    path: /usr/bin/x\n    target: /nowhere\n');
    const plan = await run.plan();
    expect(plan.notes).toEqual([expect.objectContaining({ level: 'warning', message: expect.stringMatching(/does not exist/) })]);
    await expectConvergedAndIdempotent(run);
  });
});

describe('symlink: bad input', () => {
  const F = 'ds.yaml';
  const check = (body: string) => validateDesiredStateText(`version: 1\nresources:\n  - id: l\n    kind: symlink\n${body}`, F);

  it('path must be absolute', async () => {
    await expectUserError(check('    path: usr/bin/x\n    target: /y\n'), `${F}:5:11: resources[0].path:`, /start with `\/`/);
  });
  it('path must be normalised', async () => {
    await expectUserError(check('    path: /usr//bin/x\n    target: /y\n'), `${F}:5:11: resources[0].path:`, /not a normalised path/);
  });
  it('target must be a non-empty string', async () => {
    await expectUserError(check('    path: /usr/bin/x\n    target: ""\n'), `${F}:6:13: resources[0].target:`);
    await expectUserError(check('    path: /usr/bin/x\n    target: [a]\n'), `${F}:6:13: resources[0].target:`, /string/);
  });
  it('path without target, and target without path', async () => {
    await expectUserError(check('    path: /usr/bin/x\n'), `${F}:5:11: resources[0].path: \`path\` needs \`target\` beside it`);
    await expectUserError(check('    target: /y\n'), `${F}:5:13: resources[0].target: \`target\` needs \`path\` beside it`);
  });
  it('neither form, or both', async () => {
    await expectUserError(check('    description: nothing\n'), `${F}:3:5: resources[0]: a symlink resource needs either`);
    await expectUserError(
      check('    path: /usr/bin/x\n    target: /y\n    dir: /usr/bin\n    links: {a: /b}\n'),
      `${F}:7:10: resources[0].dir: a symlink resource takes either`,
    );
  });
  it('dir must be absolute, and links need dir', async () => {
    await expectUserError(check('    dir: bin\n    links: {a: /b}\n'), `${F}:5:10: resources[0].dir:`, /start with `\/`/);
    await expectUserError(check('    links: {a: /b}\n'), `${F}:5:12: resources[0].links: \`links\` needs \`dir\` beside it`);
  });
  it('a link name is one path component', async () => {
    await expectUserError(check('    dir: /usr/bin\n    links: {"a/b": /b}\n'), `${F}:6:`, /one path component/);
    await expectUserError(check('    dir: /usr/bin\n    links: {"..": /b}\n'), `${F}:6:`, /one path component/);
  });
  it('links must not be empty', async () => {
    await expectUserError(check('    dir: /usr/bin\n    links: {}\n'), `${F}:6:12: resources[0].links:`, /at least one link/);
  });
  it('an unknown key', async () => {
    await expectUserError(check('    path: /usr/bin/x\n    target: /y\n    force: true\n'), `${F}:7:5: resources[0].force: unknown key`);
  });
  it('one link path in two resources is refused at load, naming both', async () => {
    await expectUserError(
      validateDesiredStateText(
        'version: 1\nresources:\n  - id: a\n    kind: symlink\n    dir: /usr/bin\n    links: {x: /y}\n  - id: b\n    kind: symlink\n    path: /usr/bin/x\n    target: /z\n',
        F,
      ),
      `${F}:9:11: resources[1].path: /usr/bin/x is already managed by resource a (${F}:3:5)`,
    );
  });
});
