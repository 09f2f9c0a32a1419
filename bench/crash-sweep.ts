// The exhaustive crash sweep: kill -9 the built CLI at every step of the
// all-kinds apply (RECONCILE_FAULT_AFTER=1, 2, ... until one completes) and
// check each killed root as test/safety/crash.test.ts does for one step per
// class. Prints the steps, their classes and the time taken.
//
//   npm run build && node dist/bench/crash-sweep.js [workers] [first-step] [last-step]

import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChildGroup } from '../test/helpers/child-group.js';
import { checkAfterKill, classesOf, killAt, reference, traceApply } from '../test/safety/crash-check.js';
import type { Scenario } from '../test/safety/scenario.js';

const repo = path.resolve(import.meta.dirname, '../..');
const paths = { bin: path.join(repo, 'dist/src/cli/bin.js'), tracer: path.join(repo, 'test/safety/fault-trace.mjs') };
const [workers = 2, first = 1, lastArg] = process.argv.slice(2).map(Number);

async function main(): Promise<number> {
  const children = new ChildGroup();
  const scenarios: Scenario[] = [];
  const failures: string[] = [];
  try {
    const t0 = performance.now();
    const trace = await traceApply(children, paths, scenarios);
    const ref = await reference(trace, scenarios);
    const classes = classesOf(trace.steps);
    const total = trace.steps.length;
    console.log(`${total} steps in ${classes.size} classes (traced in ${((performance.now() - t0) / 1000).toFixed(1)} s):`);
    for (const [name, steps] of classes) console.log(`  ${String(steps.length).padStart(3)}  ${name}  (first: step ${steps[0]})`);

    // Every step, and one past the last: that run must complete.
    const last = Math.min(lastArg ?? total + 1, total + 1);
    let next = first;
    let kills = 0;
    const perKill: number[] = [];
    const started = performance.now();
    const worker = async () => {
      for (let n = next++; n <= last; n = next++) {
        const k0 = performance.now();
        try {
          const killed = await killAt(children, paths, n, scenarios);
          if (killed === null) {
            if (n <= total) failures.push(`step ${n}: the apply completed, but the trace counted ${total} steps`);
            continue;
          }
          if (n > total) failures.push(`step ${n}: killed, but the trace counted only ${total} steps`);
          kills += 1;
          await checkAfterKill(ref, killed);
          perKill.push(performance.now() - k0);
        } catch (err) {
          failures.push(`step ${n}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    const seconds = (performance.now() - started) / 1000;
    perKill.sort((a, b) => a - b);
    const median = perKill[Math.floor(perKill.length / 2)] ?? 0;
    console.log(`killed at ${kills} steps (${first}..${Math.min(last, total)}) with ${workers} workers in ${seconds.toFixed(1)} s; per kill and check: median ${(median / 1000).toFixed(2)} s, max ${((perKill.at(-1) ?? 0) / 1000).toFixed(2)} s`);
    for (const f of failures) console.log(`FAILED ${f}`);
    console.log(failures.length === 0 ? 'every killed root was as before or as intended, and each re-run converged' : `${failures.length} step(s) failed`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await children.stopAll();
    await Promise.all(scenarios.map((s) => s.cleanup()));
  }
}

process.exitCode = await main();
