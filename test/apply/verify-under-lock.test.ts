// A saved plan is checked again under the lock, right before anything is
// written: applyPlan's verifyUnderLock runs while the lock is held, and when
// it throws nothing is written and the lock is released.

import { promises as fs } from 'node:fs';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { loadDesiredState } from '../../src/model/load.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { snapshot } from '../safety/snapshot.js';

let s: Scenario;
beforeEach(async () => {
  s = await makeScenario();
});
afterEach(async () => {
  await s.cleanup();
});

it('runs with the lock held; when it throws, nothing is written and the lock is gone', async () => {
  const host = new RootedHost(s.root.dir);
  const plan = await buildPlan(host, (await loadDesiredState(s.desired)).resources);
  expect(plan.changes.length).toBeGreaterThan(0);
  const before = await snapshot(s.root.dir);
  let lockHeld = false;
  await expect(
    applyPlan(host, plan, {
      stateDir: '/var/lib/reconcile',
      lockTimeoutSeconds: 0,
      desiredFiles: [s.desired],
      verifyUnderLock: async () => {
        lockHeld = (await fs.lstat(s.root.path('/var/lib/reconcile/lock')).catch(() => null)) !== null;
        throw new Error('plan is stale: test');
      },
    }),
  ).rejects.toThrow('plan is stale: test');
  expect(lockHeld).toBe(true);
  expect(await snapshot(s.root.dir)).toEqual(before);
  await expect(fs.lstat(s.root.path('/var/lib/reconcile/lock'))).rejects.toThrow(/ENOENT/);
  // The state dir's runs/ may exist (created 0700 with the state dir), but holds no run.
  expect(await fs.readdir(s.root.path('/var/lib/reconcile/runs')).catch(() => [])).toEqual([]);
});
