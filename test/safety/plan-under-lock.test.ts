// Issue 9, section 4: an apply started while a rollback runs used to carry
// out a plan made against the half-restored host, before it held the lock.
// It now plans again once the lock is held and carries out that plan.

import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { acquireLock } from '../../src/apply/lock.js';
import { stateLayout } from '../../src/apply/state-dir.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { summarise } from '../../src/plan/build-plan.js';
import type { Change, Plan } from '../../src/plan/types.js';
import { fingerprintOf } from '../../src/kinds/shared/fingerprint.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';

let root: TempRoot;
afterEach(async () => {
  await root?.cleanup();
});

const STATE = '/var/lib/reconcile';

/** The desired state "/etc/app.conf holds want", planned against the host as it is now. */
async function planWant(host: RootedHost): Promise<Plan> {
  const st = await host.lstat('/etc/app.conf');
  const current = await host.readText('/etc/app.conf');
  const changes: Change[] =
    current === 'want\n'
      ? []
      : [
          {
            resource: 'app',
            kind: 'file',
            target: '/etc/app.conf',
            action: st === null ? 'create' : 'update',
            summary: 'write /etc/app.conf',
            expect: fingerprintOf(st),
            op: { type: 'write-file', contentBase64: Buffer.from('want\n').toString('base64'), mode: 0o644, uid: 0, gid: 0 },
          },
        ];
  const partial = { changes, unchanged: [], notes: [], errors: [] };
  return { ...partial, summary: summarise(partial) };
}

describe('an apply waiting for a rollback', () => {
  it('plans again once it holds the lock, so it acts on the host as the rollback left it', async () => {
    root = await makeRoot({ 'etc/app.conf': 'half restored\n' });
    const host = new RootedHost(root.dir);
    // The rollback holds the lock, half way through.
    const rollbackLock = await acquireLock(host, stateLayout(STATE).lock, '20260101T000000Z-aaaaaa', 5);
    const stale = await planWant(host);
    const applying = applyPlan(host, stale, { stateDir: STATE, lockTimeoutSeconds: 30, desiredFiles: [], replan: () => planWant(host) });
    // The rollback finishes its restore (a new file in place), then lets go.
    await new Promise((r) => setTimeout(r, 200));
    await fs.writeFile(root.path('/etc/.app.conf.new'), 'as before\n');
    await fs.rename(root.path('/etc/.app.conf.new'), root.path('/etc/app.conf'));
    await rollbackLock.release();
    const result = await applying;
    expect(result.counts).toEqual({ applied: 1, skipped: 0, failed: 0 });
    expect(await fs.readFile(root.path('/etc/app.conf'), 'utf8')).toBe('want\n');
    // The backup holds what the rollback restored, not the half-restored bytes.
    const backup = await fs.readFile(root.path(`${STATE}/backups/${result.runId}/etc/app.conf`), 'utf8');
    expect(backup).toBe('as before\n');
  });

  it('writes nothing (no journal, no backup) when the plan made under the lock is empty', async () => {
    root = await makeRoot({ 'etc/app.conf': 'half restored\n' });
    const host = new RootedHost(root.dir);
    const stale = await planWant(host);
    await fs.writeFile(root.path('/etc/app.conf'), 'want\n');
    const result = await applyPlan(host, stale, { stateDir: STATE, lockTimeoutSeconds: 5, desiredFiles: [], replan: () => planWant(host) });
    expect(result.outcomes).toEqual([]);
    // The state dir's backups/ and runs/ may exist (made 0700 before the lock), but hold nothing of this run.
    expect(await fs.readdir(root.path(`${STATE}/backups`)).catch(() => [])).toEqual([]);
    expect(await fs.readdir(root.path(`${STATE}/runs`)).catch(() => [])).toEqual([]);
  });
});
