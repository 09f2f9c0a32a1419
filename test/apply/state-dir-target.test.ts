// A target that is, contains or lies inside the state directory is refused
// at plan time (issue 9, section 5): `absent` on /var/lib used to back the
// state directory up into itself until it was killed.

import { promises as fs } from 'node:fs';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { main } from '../../src/cli/main.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import type { Change, Plan } from '../../src/plan/types.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput } from '../safety/snapshot.js';

let s: Scenario;
afterEach(async () => {
  await s.cleanup();
});

async function cli(...args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const yaml = (paths: string[]) => `version: 1
resources:
  - id: wipe
    kind: absent
    paths: [${paths.map((p) => JSON.stringify(p)).join(', ')}]
    allowDirectories: true
  - id: other
    kind: file
    path: /etc/other.conf
    content: "x\\n"
`;

it('refuses absent on an ancestor of the state dir, at plan time, and still applies the rest', async () => {
  s = await makeScenario(yaml(['/var/lib']));
  // A state dir with a run in it already.
  await fs.mkdir(s.root.path('/var/lib/reconcile/runs'), { recursive: true, mode: 0o700 });
  const plan = await cli('--plan', '--desired', s.desired, '--root', s.root.dir, '--format', 'json');
  expect(plan.code).toBe(1);
  const json = JSON.parse(plan.stdout);
  expect(json.errors).toEqual([
    expect.objectContaining({ resource: 'wipe', target: '/var/lib', message: expect.stringContaining("refusing to change /var/lib: it is, contains or lies inside reconcile's state directory /var/lib/reconcile") }),
  ]);
  expect(json.changes.map((c: Change) => c.target)).toEqual(['/etc/other.conf']);

  const applied = await cli('--apply', '--desired', s.desired, '--root', s.root.dir);
  expect(applied.code).toBe(1);
  expect(applied.stdout).toContain('FAILED  wipe (/var/lib): refusing to change /var/lib');
  expect(await fs.readFile(s.root.path('/etc/other.conf'), 'utf8')).toBe('x\n');
  expect((await fs.stat(s.root.path('/var/lib/ds01/bare-metal-grants'))).isDirectory()).toBe(true);
  const [run] = await fs.readdir(s.root.path('/var/lib/reconcile/backups'));
  // Nothing of /var/lib was backed up into the state dir.
  await expect(fs.lstat(s.root.path(`/var/lib/reconcile/backups/${run}/var`))).rejects.toThrow();
});

it('refuses the state dir matched by a glob, and one moved elsewhere with --state-dir', async () => {
  s = await makeScenario(yaml(['/srv/*']));
  await fs.mkdir(s.root.path('/srv/state'), { recursive: true, mode: 0o700 });
  const r = await cli('--plan', '--desired', s.desired, '--root', s.root.dir, '--state-dir', '/srv/state', '--format', 'json');
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout).errors[0]).toMatchObject({ target: '/srv/state' });
});

it('applyPlan refuses such a change in a plan built elsewhere, before any backup', async () => {
  s = await makeScenario(yaml([]));
  const host = new RootedHost(s.root.dir);
  const st = await host.lstat('/var/lib');
  const change: Change = {
    resource: 'wipe', kind: 'absent', target: '/var/lib', action: 'delete', summary: 'remove /var/lib',
    expect: { type: 'path', fileType: 'dir', dev: st!.dev, ino: st!.ino, mode: st!.mode, uid: st!.uid, gid: st!.gid, size: st!.size, mtimeMs: st!.mtimeMs },
    op: { type: 'remove', recursive: true },
  };
  const plan: Plan = { changes: [change], unchanged: [], notes: [], errors: [], summary: { create: 0, update: 0, delete: 1, unchanged: 0, errors: 0 } };
  const result = await applyPlan(host, plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 0, desiredFiles: [] });
  expect(result.outcomes[0]).toMatchObject({ status: 'failed', message: expect.stringContaining('refusing to change /var/lib') });
  expect((await fs.stat(s.root.path('/var/lib/ds01'))).isDirectory()).toBe(true);
});
