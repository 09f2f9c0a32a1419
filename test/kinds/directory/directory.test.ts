// directory: exists with mode/owner/group; content is never touched, a
// symlink in its place is never followed; rollback undoes modes and removes
// a directory the run created only while it is empty.

import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { validateDesiredStateText } from '../../../src/model/load.js';
import { dir, file, symlink } from '../../helpers/temp-root.js';
import { expectUserError } from '../../model/fixtures/expect-user-error.js';
import { expectConvergedAndIdempotent, kindRun, type KindRun } from '../converge.js';

const DIRS = `  - id: log-dir
    kind: directory
    path: /var/log/ds01
    mode: "0775"
    group: adm
  - id: stats-dir
    kind: directory
    path: /var/lib/ds01/resource-stats
    mode: "0755"
    owner: root
`;

let run: KindRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

const modeOf = async (p: string) => (await fs.lstat(run!.root.path(p))).mode & 0o7777;

describe('directory', () => {
  it('creates a missing directory and fixes a drifted one in place; content stays; second apply writes nothing', async () => {
    const tree = {
      'var/log': dir(),
      'var/lib/ds01/resource-stats': dir({ mode: 0o700, uid: 1001, gid: 1001 }),
      'var/lib/ds01/resource-stats/today.json': file('{}\n', { mode: 0o600, uid: 1001, gid: 1001 }),
    };
    run = await kindRun(tree, DIRS);
    const plan = await run.plan();
    expect(plan.changes.map((c) => [c.target, c.action, c.summary])).toEqual([
      ['/var/log/ds01', 'create', '/var/log/ds01: create directory (0775 root:adm)'],
      ['/var/lib/ds01/resource-stats', 'update', '/var/lib/ds01/resource-stats: mode 0700 -> 0755, owner alice -> root'],
    ]);
    const inode = (await fs.lstat(run.root.path('/var/lib/ds01/resource-stats'))).ino;
    await expectConvergedAndIdempotent(run);
    const log = await fs.lstat(run.root.path('/var/log/ds01'));
    expect([log.isDirectory(), log.mode & 0o7777, log.uid, log.gid]).toEqual([true, 0o775, 0, 4]);
    const stats = await fs.lstat(run.root.path('/var/lib/ds01/resource-stats'));
    // In place: the same directory, with an unmanaged group left as it was.
    expect([stats.ino, stats.mode & 0o7777, stats.uid, stats.gid]).toEqual([inode, 0o755, 0, 1001]);
    const inside = await fs.lstat(run.root.path('/var/lib/ds01/resource-stats/today.json'));
    expect([inside.mode & 0o7777, inside.uid]).toEqual([0o600, 1001]);
  });

  it('a symlink where the directory belongs is an error, and its target is not touched', async () => {
    run = await kindRun({ 'var/log': dir(), 'srv/elsewhere': dir({ mode: 0o700 }), 'var/log/ds01': symlink('/srv/elsewhere') }, DIRS.split('  - id: stats-dir')[0]!);
    const plan = await run.plan();
    expect(plan.errors).toEqual([expect.objectContaining({ target: '/var/log/ds01', message: expect.stringMatching(/a symlink to \/srv\/elsewhere \(never followed\), not a directory/) })]);
    expect((await run.apply()).code).toBe(1);
    expect(await modeOf('/srv/elsewhere')).toBe(0o700);
  });

  it('an owner that does not exist is a plan error for the resource', async () => {
    run = await kindRun({}, '  - id: d\n    kind: directory\n    path: /srv/x\n    owner: nobody-here\n');
    const plan = await run.plan();
    expect(plan.errors).toEqual([expect.objectContaining({ resource: 'd', message: expect.stringMatching(/owner "nobody-here" does not exist/) })]);
  });

  it('rollback puts the mode back and removes the directory it created', async () => {
    run = await kindRun({ 'var/log': dir(), 'var/lib/ds01/resource-stats': dir({ mode: 0o700 }) }, DIRS);
    const before = await run.picture();
    expect((await run.apply()).code).toBe(0);
    const r = await run.rollback();
    expect([r.code, r.stderr]).toEqual([0, '']);
    const after = await run.picture();
    for (const p of Object.keys(before)) expect([p, after[p]]).toEqual([p, before[p]]);
    expect(after['/var/log/ds01']).toBeUndefined();
  });

  it('rollback leaves a created directory that is no longer empty', async () => {
    run = await kindRun({ 'var/log': dir() }, DIRS.split('  - id: stats-dir')[0]!);
    expect((await run.apply()).code).toBe(0);
    await fs.writeFile(run.root.path('/var/log/ds01/app.log'), 'keep me\n');
    const r = await run.rollback();
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/\/var\/log\/ds01 did not exist before run .*not empty now: left in place/);
    expect(await fs.readFile(run.root.path('/var/log/ds01/app.log'), 'utf8')).toBe('keep me\n');
  });
});

describe('directory: bad input', () => {
  const F = 'ds.yaml';
  const check = (body: string) => validateDesiredStateText(`version: 1\nresources:\n  - id: d\n    kind: directory\n${body}`, F);

  it('path is required, absolute and normalised', async () => {
    await expectUserError(check('    mode: "0755"\n'), `${F}:3:5: resources[0].path: missing required key \`path\` in a \`directory\` resource`);
    await expectUserError(check('    path: var/log\n'), `${F}:5:11: resources[0].path:`, /start with `\/`/);
    await expectUserError(check('    path: /var/log/\n'), `${F}:5:11: resources[0].path:`, /write "\/var\/log"/);
  });
  it('mode is a quoted octal string', async () => {
    await expectUserError(check('    path: /x\n    mode: 0755\n'), `${F}:6:11: resources[0].mode:`, /quotes/);
    await expectUserError(check('    path: /x\n    mode: "0999"\n'), `${F}:6:11: resources[0].mode:`, /octal/);
  });
  it('owner and group are valid names', async () => {
    await expectUserError(check('    path: /x\n    owner: -root\n'), `${F}:6:12: resources[0].owner:`, /do not start with `-`/);
    await expectUserError(check('    path: /x\n    group: "a b"\n'), `${F}:6:12: resources[0].group:`);
  });
  it('an unknown key (directories are never purged)', async () => {
    await expectUserError(check('    path: /x\n    purge: true\n'), `${F}:6:5: resources[0].purge: unknown key`);
  });
});
