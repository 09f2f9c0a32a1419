// Any interrupted rollback recovers (issue 9, section 3): apply the
// all-kinds scenario, then kill -9 its rollback at every mutation step
// (RECONCILE_FAULT_AFTER=N, N = 1, 2, ... until the rollback completes).
// After each kill, `--rollback RUN` again, without --force, finishes the
// restore exactly: the root is as before the apply, no temp file is left
// anywhere (the state dir included), and only the finished rollback marks
// the run rolled back.

import { main } from '../../src/cli/main.js';
import { ensureBuilt, runCli } from '../safety/built-cli.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput, snapshot, type Snapshot } from '../safety/snapshot.js';

const TEMP_NAME = /\/\.[^/]*\.reconcile-\d+-[0-9a-f]{8}\.tmp(\/|$|\.)/;

interface HistoryRun {
  runId: string;
  operation: string;
  rollbackOf: string | null;
  outcome: string;
  rolledBackBy: string[];
}

async function cli(...args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

async function history(root: string): Promise<HistoryRun[]> {
  const r = await cli('--history', '--root', root, '--format', 'json');
  if (r.code !== 0) throw new Error(`--history failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { runs: HistoryRun[] }).runs;
}

let before: Snapshot;
const scenarios: Scenario[] = [];

beforeAll(async () => {
  await ensureBuilt();
  const pristine = await makeScenario();
  scenarios.push(pristine);
  before = await snapshot(pristine.root.dir);
});

afterAll(async () => {
  await Promise.all(scenarios.map((s) => s.cleanup()));
});

/** An applied scenario and the id of its apply run. */
async function applied(): Promise<{ scenario: Scenario; run: string }> {
  const scenario = await makeScenario();
  scenarios.push(scenario);
  const a = await cli('--apply', '--desired', scenario.desired, '--root', scenario.root.dir);
  if (a.code !== 0) throw new Error(`apply failed: ${a.stdout}${a.stderr}`);
  const [run] = await history(scenario.root.dir);
  return { scenario, run: run!.runId };
}

/** Kills the rollback at step n and checks the re-run; false once n is past the last step. */
async function killAndResume(n: number): Promise<boolean> {
  const { scenario, run } = await applied();
  const root = scenario.root.dir;
  const killed = await runCli(['--rollback', '--root', root], { RECONCILE_FAULT_AFTER: String(n) });
  if (killed.signal !== 'SIGKILL') {
    if (killed.code !== 0) throw new Error(`rollback (not killed at ${n}) exited ${killed.code}: ${killed.stdout}${killed.stderr}`);
    await scenario.cleanup();
    return false;
  }
  // A rollback that did not finish does not mark the run rolled back.
  const runs = await history(root);
  const rollbacks = runs.filter((r) => r.operation === 'rollback');
  const finished = rollbacks.some((r) => r.outcome === 'converged');
  const target = runs.find((r) => r.runId === run)!;
  if (!finished && target.rolledBackBy.length > 0) {
    throw new Error(`killed at step ${n}: run ${run} is marked rolled back by ${target.rolledBackBy.join(',')} although no rollback finished`);
  }

  const again = await cli('--rollback', run, '--root', root);
  if (again.code !== 0 || again.stderr !== '') {
    throw new Error(`killed at step ${n}: re-running --rollback ${run} exited ${again.code}: ${again.stdout}${again.stderr}`);
  }
  const now = await snapshot(root);
  const differ = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter((p) => JSON.stringify(before[p]) !== JSON.stringify(now[p]));
  if (differ.length > 0) {
    throw new Error(`killed at step ${n}: after the re-run these differ from before the apply: ${differ.map((p) => `${p} ${JSON.stringify(now[p])}`).join('; ')}`);
  }
  const leftovers = Object.keys(await snapshot(root, [])).filter((p) => TEMP_NAME.test(p));
  if (leftovers.length > 0) throw new Error(`killed at step ${n}: temp files left: ${leftovers.join(', ')}`);
  // The run is rolled back now, so the default rollback has nothing left to take.
  expect((await history(root)).find((r) => r.runId === run)!.rolledBackBy.length).toBeGreaterThan(0);
  const none = await cli('--rollback', '--root', root);
  expect(none.stderr).toMatch(/no apply run to roll back/);
  await scenario.cleanup();
  return true;
}

// Every step costs an apply and two rollbacks (seconds each on a shared
// machine), so by default every STRIDE-th step is killed: deterministic, and
// spread over every kind of step. RECONCILE_RESUME_STRIDE=1 kills at each one.
const STRIDE = Number(process.env.RECONCILE_RESUME_STRIDE ?? 6);

it('re-running --rollback RUN finishes a rollback killed at any step, exactly and without --force', async () => {
  let completedAt = Infinity;
  let kills = 0;
  let next = 1;
  const failures: string[] = [];
  // Two workers (two cores): each kills a child at the next step and checks while the other's child runs.
  const worker = async () => {
    for (;;) {
      const n = next;
      next += STRIDE;
      if (n >= completedAt || n > 1000) return;
      try {
        if (!(await killAndResume(n))) {
          completedAt = Math.min(completedAt, n);
          return;
        }
        kills += 1;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  expect(failures).toEqual([]);
  // The rollback has well over a hundred steps: every kind's restore was interrupted somewhere.
  expect(completedAt).toBeGreaterThan(100);
  expect(kills).toBeGreaterThanOrEqual(Math.floor((completedAt - 1) / STRIDE));
  console.log(`rollback resume: killed at ${kills} steps (every ${STRIDE}); the rollback completes from step ${completedAt}`);
}, 1_800_000);
