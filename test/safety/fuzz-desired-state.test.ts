// Property-based fuzzing of desired-state input through the CLI entry
// (in-process): for every generated input, exit 0 (valid) or 1 with one
// "reconcile: error:" paragraph naming the file; never an internal error or
// a stack trace. bench/fuzz-desired-state.ts runs many more cases.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { desiredStateInputs, judge, structuredMutations, textMutations, yamlishText } from '../../bench/fuzz-inputs.js';

const repo = path.resolve(import.meta.dirname, '../..');
let base: string;
let dir: string;
let file: string;

beforeAll(async () => {
  base = await fs.readFile(path.join(repo, 'desired-state/ds01.yaml'), 'utf8');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-fuzz-'));
  file = path.join(dir, 'desired.yaml');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function holds(arb: fc.Arbitrary<string>, numRuns: number) {
  await fc.assert(
    fc.asyncProperty(arb, async (text) => {
      const v = await judge(text, file);
      if (v.problem) throw new Error(`${v.problem}\noutput: ${v.output}`);
    }),
    { numRuns, seed: 20260131 },
  );
}

it('the unmutated DS01 desired state is valid (the generators start from a valid file)', async () => {
  expect((await judge(base, file)).code).toBe(0);
});

it('YAML-ish and binary text', async () => {
  await holds(yamlishText, 300);
});

it('structural mutations of ds01.yaml', async () => {
  await holds(structuredMutations(base), 300);
});

it('text mutations of ds01.yaml', async () => {
  await holds(textMutations(base), 300);
});

it('the generators produce both accepted and rejected inputs', () => {
  const sample = fc.sample(desiredStateInputs(base), { numRuns: 200, seed: 1 });
  expect(new Set(sample).size).toBeGreaterThan(150);
});
