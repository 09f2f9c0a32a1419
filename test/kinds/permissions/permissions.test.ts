// permissions: modes and owners over globs and trees that a non-root user
// owns. One change per target; symlinks are never followed, at plan time or
// at apply time (a file swapped for a symlink after the plan is skipped).

import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { applyPlan } from '../../../src/apply/apply-plan.js';
import { RootedHost } from '../../../src/host/rooted-host.js';
import { loadDesiredState } from '../../../src/model/load.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import { validateDesiredStateText } from '../../../src/model/load.js';
import { dir, file, symlink, type Tree } from '../../helpers/temp-root.js';
import { expectUserError } from '../../model/fixtures/expect-user-error.js';
import { expectConvergedAndIdempotent, kindRun, type KindRun } from '../converge.js';

const ALICE = { uid: 1001, gid: 1001 };
// The checkout belongs to the deploy account, as ds01-infra's does.
const TREE: Tree = {
  'opt/infra': dir({ mode: 0o755, ...ALICE }),
  'opt/infra/scripts': dir({ mode: 0o700, ...ALICE }),
  'opt/infra/scripts/run.sh': file('#!/bin/sh\necho run\n', { mode: 0o600, ...ALICE }),
  'opt/infra/scripts/detect.py': file('#!/usr/bin/env python3\n', { mode: 0o644, ...ALICE }),
  'opt/infra/scripts/notes.txt': file('not a script\n', { mode: 0o600, ...ALICE }),
  'opt/infra/scripts/lib': dir({ mode: 0o700, ...ALICE }),
  'opt/infra/scripts/lib/common.sh': file('#!/bin/bash\n', { mode: 0o644, ...ALICE }),
  'opt/infra/scripts/lib/secret-link': symlink('/etc/secret'),
  'opt/infra/config/a.yaml': file('a: 1\n', { mode: 0o600, ...ALICE }),
  'opt/infra/config/b.yaml': file('b: 1\n', { mode: 0o644, ...ALICE }),
  'opt/infra/config/keep.env': file('X=1\n', { mode: 0o600, ...ALICE }),
  'etc/secret': file('root only\n', { mode: 0o600 }),
};

const PERMS = `  - id: infra-scripts
    kind: permissions
    paths: [/opt/infra/scripts]
    recursive: true
    fileMode: "0644"
    dirMode: "0755"
    executableScripts: true
    group: adm
  - id: infra-config
    kind: permissions
    paths: ["/opt/infra/config/*.yaml"]
    mode: "0644"
`;

let run: KindRun | undefined;
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});

const st = async (p: string) => {
  const s = await fs.lstat(run!.root.path(p));
  return [(s.mode & 0o7777).toString(8), s.uid, s.gid];
};

describe('permissions', () => {
  it('one change per target: file and directory modes, execute for scripts, group; symlinks and unmatched files left', async () => {
    run = await kindRun(TREE, PERMS);
    const plan = await run.plan();
    expect(plan.changes.map((c) => [c.target, c.summary.slice(c.target.length + 2)])).toEqual([
      ['/opt/infra/scripts', 'mode 0700 -> 0755, group alice -> adm'],
      ['/opt/infra/scripts/detect.py', 'mode 0644 -> 0755, group alice -> adm (script)'],
      ['/opt/infra/scripts/lib', 'mode 0700 -> 0755, group alice -> adm'],
      ['/opt/infra/scripts/lib/common.sh', 'mode 0644 -> 0755, group alice -> adm (script)'],
      ['/opt/infra/scripts/notes.txt', 'mode 0600 -> 0644, group alice -> adm'],
      ['/opt/infra/scripts/run.sh', 'mode 0600 -> 0755, group alice -> adm (script)'],
      ['/opt/infra/config/a.yaml', 'mode 0600 -> 0644'],
    ]);
    expect(plan.unchanged.map((u) => u.target)).toEqual(['/opt/infra/config/b.yaml']);
    expect(plan.notes).toEqual([expect.objectContaining({ resource: 'infra-scripts', message: 'left alone: 1 symlink (never followed)' })]);
  });

  it('converges in place, never through the symlink; a second apply writes nothing', async () => {
    run = await kindRun(TREE, PERMS);
    const inode = (await fs.lstat(run.root.path('/opt/infra/scripts/run.sh'))).ino;
    await expectConvergedAndIdempotent(run);
    expect(await st('/opt/infra/scripts/run.sh')).toEqual(['755', 1001, 4]);
    expect((await fs.lstat(run.root.path('/opt/infra/scripts/run.sh'))).ino).toBe(inode);
    expect(await st('/opt/infra/scripts/notes.txt')).toEqual(['644', 1001, 4]);
    expect(await st('/opt/infra/scripts/lib')).toEqual(['755', 1001, 4]);
    expect(await st('/opt/infra/config/keep.env')).toEqual(['600', 1001, 1001]);
    expect(await st('/etc/secret')).toEqual(['600', 0, 0]);
  });

  it('rollback puts every mode and group back', async () => {
    run = await kindRun(TREE, PERMS);
    const before = await run.picture();
    expect((await run.apply()).code).toBe(0);
    const r = await run.rollback();
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/Rollback: 7 applied, 0 skipped, 0 failed\./);
    const after = await run.picture();
    for (const p of Object.keys(before)) expect([p, after[p]]).toEqual([p, before[p]]);
  });

  it('a file swapped for a symlink after the plan is skipped at apply, and the symlink target is untouched', async () => {
    run = await kindRun(TREE, PERMS);
    const host = new RootedHost(run.root.dir);
    const plan = await buildPlan(host, (await loadDesiredState(run.desired)).resources);
    await fs.rename(run.root.path('/opt/infra/scripts/run.sh'), run.root.path('/opt/infra/scripts/run.sh.old'));
    await fs.symlink('/etc/secret', run.root.path('/opt/infra/scripts/run.sh'));
    const result = await applyPlan(host, plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 0, desiredFiles: [] });
    const outcome = result.outcomes.find((o) => o.change.target === '/opt/infra/scripts/run.sh')!;
    expect(outcome.status).toBe('skipped');
    expect(await st('/etc/secret')).toEqual(['600', 0, 0]);
    // The directory changed too (a new entry): it is skipped as well, for the next run to re-plan.
    expect(result.outcomes.filter((o) => o.status !== 'applied').map((o) => o.change.target)).toEqual(['/opt/infra/scripts', '/opt/infra/scripts/run.sh']);
  });

  it('hundreds of changes: text shows a few and counts the rest; JSON lists each', async () => {
    const many: Tree = { 'srv/data': dir({ mode: 0o755 }) };
    for (let i = 0; i < 120; i++) many[`srv/data/f${String(i).padStart(3, '0')}`] = file('x\n', { mode: 0o600 });
    run = await kindRun(many, '  - id: data\n    kind: permissions\n    paths: [/srv/data]\n    recursive: true\n    fileMode: "0640"\n');
    expect((await run.plan()).changes).toHaveLength(120);
    const text = (await run.cli(['--plan', '--desired', run.desired, '--root', run.root.dir])).stdout;
    expect(text.match(/^~ \/srv\/data\/f/gm)).toHaveLength(10);
    expect(text).toContain('… and 110 more changes by data: 110 × mode 0600 -> 0640 (--format json lists each)');
    expect(text).toContain('Plan: 0 to create, 120 to update, 0 to delete, 1 unchanged.');
  });

  it('an unknown group is a plan error; a pattern matching nothing is a note', async () => {
    run = await kindRun({}, '  - id: p\n    kind: permissions\n    paths: ["/srv/none/*"]\n    group: nogroup-here\n');
    expect((await run.plan()).errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/group nogroup-here does not exist/) })]);
    run = (await run.cleanup(), await kindRun({}, '  - id: p\n    kind: permissions\n    paths: ["/srv/none/*"]\n    mode: "0644"\n'));
    expect((await run.plan()).notes).toEqual([expect.objectContaining({ message: 'nothing matches /srv/none/*' })]);
  });
});

describe('permissions: bad input', () => {
  const F = 'ds.yaml';
  const check = (body: string) => validateDesiredStateText(`version: 1\nresources:\n  - id: p\n    kind: permissions\n${body}`, F);
  const withPaths = (body: string) => check(`    paths: [/opt/x]\n${body}`);

  it('paths: required, non-empty, absolute, valid globs', async () => {
    await expectUserError(check('    mode: "0644"\n'), `${F}:3:5: resources[0].paths: missing required key \`paths\``);
    await expectUserError(check('    paths: []\n    mode: "0644"\n'), `${F}:5:12: resources[0].paths:`);
    await expectUserError(check('    paths: [opt/x]\n    mode: "0644"\n'), `${F}:5:13: resources[0].paths[0]:`, /start with `\/`/);
    await expectUserError(check('    paths: ["/opt/[z-a]"]\n    mode: "0644"\n'), `${F}:5:13: resources[0].paths[0]:`, /not a valid glob/);
  });
  it('recursive and executableScripts are booleans', async () => {
    await expectUserError(withPaths('    recursive: yes\n    mode: "0644"\n'), `${F}:6:16: resources[0].recursive:`);
    await expectUserError(withPaths('    executableScripts: "true"\n'), `${F}:6:24: resources[0].executableScripts:`);
  });
  it('mode, fileMode and dirMode are quoted octal', async () => {
    await expectUserError(withPaths('    mode: 644\n'), `${F}:6:11: resources[0].mode:`, /quotes/);
    await expectUserError(withPaths('    fileMode: "0888"\n'), `${F}:6:15: resources[0].fileMode:`, /octal/);
    await expectUserError(withPaths('    dirMode: 0755\n'), `${F}:6:14: resources[0].dirMode:`, /quotes/);
  });
  it('owner and group are valid names', async () => {
    await expectUserError(withPaths('    owner: "-x"\n'), `${F}:6:12: resources[0].owner:`);
    await expectUserError(withPaths('    group: "a b"\n'), `${F}:6:12: resources[0].group:`);
  });
  it('something to set, and no unknown keys', async () => {
    await expectUserError(withPaths(''), `${F}:3:5: resources[0]: this resource is incomplete. Fix: say what to set`);
    await expectUserError(withPaths('    mode: "0644"\n    follow: true\n'), `${F}:7:5: resources[0].follow: unknown key`);
  });
});
