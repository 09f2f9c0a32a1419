// Rollback round trips: apply the all-kinds scenario, roll it back, and the
// root is byte- and metadata-identical to before (state dir aside).

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureOutput, snapshot } from '../safety/snapshot.js';
import { makeScenario, ORIGINAL, WRAPPER, type Scenario } from '../safety/scenario.js';

async function cli(args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

let s: Scenario;
beforeEach(async () => {
  s = await makeScenario();
});
afterEach(async () => {
  await s.cleanup();
});

const apply = () => cli(['--apply', '--desired', s.desired, '--root', s.root.dir]);
const rollback = (...extra: string[]) => cli(['--rollback', ...extra, '--root', s.root.dir]);
const read = (p: string) => fs.readFile(s.root.path(p), 'utf8');

async function history() {
  const r = await cli(['--history', '--root', s.root.dir, '--format', 'json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { runs: { runId: string; operation: string; rollbackOf: string | null; outcome: string; rolledBackBy: string[] }[] };
}

describe('rollback round trip, every kind', () => {
  it('puts the root back byte- and metadata-identical to before the run', async () => {
    const before = await snapshot(s.root.dir);
    const a = await apply();
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const applied = await snapshot(s.root.dir);
    // Every kind did change something.
    expect(applied['/etc/managed.conf']).toMatchObject({ mode: '0644', uid: 0 });
    expect(applied['/etc/attrs.conf']).toMatchObject({ mode: '0644', uid: 0 });
    expect(applied['/etc/created.conf']).toBeDefined();
    expect(applied['/etc/gone.conf']).toBeUndefined();
    expect(applied['/usr/local/bin/nvidia-smi']).toBeUndefined();
    expect(applied['/var/cache/legacy']).toBeUndefined();
    expect(applied['/usr/sbin/ub-device-create.original']).toBeUndefined();
    expect(await read('/etc/group')).toContain('staff:x:50:alice,carol\n');
    expect(await read('/etc/group')).toContain('video:x:44:alice,bob\n');
    if (s.devices) expect(applied['/dev/nvidia0']).toMatchObject({ mode: '0666', gid: 0 });

    const r = await rollback();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Rollback: \d+ applied, 0 skipped, 0 failed\./);
    expect(await snapshot(s.root.dir)).toEqual(before);
    // The wrapper is back at the path, the original back under its saved name.
    expect(await read('/usr/sbin/ub-device-create')).toBe(WRAPPER);
    expect(await read('/usr/sbin/ub-device-create.original')).toBe(ORIGINAL);
  });

  it('is journaled as a rollback, and a rollback of the rollback re-does the run exactly', async () => {
    await apply();
    const applied = await snapshot(s.root.dir);
    expect((await rollback()).code).toBe(0);
    const h = await history();
    const [rb, ap] = h.runs;
    expect(rb).toMatchObject({ operation: 'rollback', rollbackOf: ap!.runId, outcome: 'converged' });
    expect(ap).toMatchObject({ operation: 'apply', rolledBackBy: [rb!.runId] });

    const redo = await rollback(rb!.runId);
    expect(redo.code).toBe(0);
    expect(await snapshot(s.root.dir)).toEqual(applied);
  });

  it('by default picks the latest apply that changed something and was not rolled back', async () => {
    await apply();
    const first = (await history()).runs[0]!.runId;
    // A second run that changes one file.
    await fs.writeFile(s.root.path('/etc/managed.conf'), 'edited by hand\n');
    await apply();
    const second = (await history()).runs[0]!.runId;
    expect(second).not.toBe(first);
    // No-change applies write no run at all.
    expect((await apply()).code).toBe(0);

    const r1 = await rollback();
    expect(r1.code).toBe(0);
    expect(r1.stdout).toContain(`Rolling back run ${second}`);
    expect(await read('/etc/managed.conf')).toBe('edited by hand\n');
    // Run 1 wrote "new content", which the hand edit replaced: a change since run 1.
    const r2 = await rollback();
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`refusing to roll back run ${first}`);
    expect(r2.stderr).toContain('/etc/managed.conf (it is now a file 0644 0:0, not as run');
    const r2f = await rollback('--force');
    expect(r2f.code).toBe(0);
    expect(r2f.stdout).toContain(`Rolling back run ${first}`);
    expect(await read('/etc/managed.conf')).toBe('old content\n');
    const r3 = await rollback();
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/no apply run to roll back/);
  });

  it('refuses, naming each target, when targets changed since the run; --force puts them back anyway', async () => {
    await apply();
    const applied = await snapshot(s.root.dir);
    await fs.writeFile(s.root.path('/etc/created.conf'), 'someone edited this\n');
    await fs.chmod(s.root.path('/etc/attrs.conf'), 0o600);
    const group = await read('/etc/group');
    await fs.writeFile(s.root.path('/etc/group'), group.replace('video:x:44:alice,bob', 'video:x:44:alice,bob,carol'));

    const refused = await rollback();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^reconcile: error: refusing to roll back run /);
    expect(refused.stderr).toContain('/etc/created.conf');
    expect(refused.stderr).toContain('/etc/attrs.conf');
    expect(refused.stderr).toContain('group video');
    expect(refused.stderr).toContain('--force');
    expect(refused.stderr).not.toContain('/etc/managed.conf');
    // Refusing changes nothing at all.
    const now = await snapshot(s.root.dir);
    expect(now['/etc/managed.conf']).toEqual(applied['/etc/managed.conf']);
    expect(await read('/etc/created.conf')).toBe('someone edited this\n');

    const forced = await rollback('--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/warning: --force: putting back \/etc\/created.conf/);
    await expect(fs.lstat(s.root.path('/etc/created.conf'))).rejects.toThrow();
    expect((await fs.stat(s.root.path('/etc/attrs.conf'))).mode & 0o777).toBe(0o664);
    // The forced rollback undoes only what the run did: carol, added later, stays.
    expect(await read('/etc/group')).toContain('video:x:44:alice,carol\n');
    // The overwritten later edit is in the rollback's own backups.
    const rb = (await history()).runs[0]!.runId;
    const backup = await fs.readFile(s.root.path(`/var/lib/reconcile/backups/${rb}/etc/created.conf`), 'utf8');
    expect(backup).toBe('someone edited this\n');
  });

  it('says there is nothing to do when the targets are already as before', async () => {
    await apply();
    const runId = (await history()).runs[0]!.runId;
    expect((await rollback()).code).toBe(0);
    const again = await rollback(runId);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Nothing to roll back: every target of run ${runId} is already as it was`);
  });

  it('restores a removed directory tree with its modes, owners and inner symlink', async () => {
    const before = await snapshot(s.root.dir);
    await apply();
    await rollback();
    const after = await snapshot(s.root.dir);
    for (const p of ['/var/cache/legacy', '/var/cache/legacy/inventory.cache', '/var/cache/legacy/sub', '/var/cache/legacy/sub/link']) {
      expect(after[p]).toEqual(before[p]);
    }
    expect(await fs.readlink(s.root.path('/var/cache/legacy/sub/link'))).toBe('../inventory.cache');
  });

  it('refuses a backup whose bytes no longer match the journal', async () => {
    await apply();
    const runId = (await history()).runs[0]!.runId;
    await fs.writeFile(path.join(s.root.dir, `var/lib/reconcile/backups/${runId}/etc/managed.conf`), 'tampered\n');
    const r = await rollback();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the backup of \/etc\/managed.conf .* is missing or damaged/);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});
