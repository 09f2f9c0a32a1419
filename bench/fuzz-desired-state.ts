// Benchmark-style fuzz run of desired-state input: many more generated cases
// than the jest test, printing cases/s and every failure (input + output).
//
//   npm run build && node dist/bench/fuzz-desired-state.js [cases] [seed]

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { packageRoot } from '../src/host/local-files.js';
import { desiredStateInputs, judge } from './fuzz-inputs.js';

const [cases = 20000, seed = Date.now() % 2 ** 31] = process.argv.slice(2).map(Number);

async function run(): Promise<void> {
  const base = await fs.readFile(path.join(packageRoot(), 'desired-state/ds01.yaml'), 'utf8');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-fuzz-'));
  const file = path.join(dir, 'desired.yaml');
  const inputs = fc.sample(desiredStateInputs(base), { numRuns: cases, seed });
  const failures: { input: string; problem: string; output: string }[] = [];
  let valid = 0;
  let slowest = 0;
  // Node process warnings (the yaml library's, for instance) reach a person's terminal too.
  const nodeWarnings = new Map<string, number>();
  process.removeAllListeners('warning');
  process.on('warning', (w) => nodeWarnings.set(w.message.replace(/".*"/, '"…"'), (nodeWarnings.get(w.message.replace(/".*"/, '"…"')) ?? 0) + 1));
  const t0 = performance.now();
  for (const input of inputs) {
    const t = performance.now();
    const v = await judge(input, file);
    slowest = Math.max(slowest, performance.now() - t);
    if (v.code === 0) valid++;
    if (v.problem) failures.push({ input, problem: v.problem, output: v.output });
  }
  const seconds = (performance.now() - t0) / 1000;
  await fs.rm(dir, { recursive: true, force: true });
  console.log(`fuzz-desired-state: seed ${seed}`);
  console.log(`  cases:    ${inputs.length} (${valid} valid, ${inputs.length - valid - failures.length} rejected with a message)`);
  console.log(`  time:     ${seconds.toFixed(1)} s, ${(inputs.length / seconds).toFixed(0)} cases/s, slowest ${slowest.toFixed(0)} ms`);
  console.log(`  failures: ${failures.length}`);
  for (const [message, count] of nodeWarnings) console.log(`  node warning printed ${count} times: ${message}`);
  for (const f of failures.slice(0, 20)) {
    console.log(`\n--- ${f.problem}\ninput: ${JSON.stringify(f.input).slice(0, 500)}\noutput: ${f.output.slice(0, 500)}`);
  }
  process.exitCode = failures.length === 0 ? 0 : 1;
}

await run();
