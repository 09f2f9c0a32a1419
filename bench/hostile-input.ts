// Benchmark: how long loading hostile desired-state input takes before it is
// refused (alias bomb, deep nesting, a megabyte of brackets, an oversized
// file). The tests check that each is refused with a located message; the
// time is a figure, printed here, not a verdict.
//
//   npm run build && node dist/bench/hostile-input.js [repeats]

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadDesiredState } from '../src/model/load.js';

const repeats = Number(process.argv[2] ?? 5);

function aliasBomb(): string {
  const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\nresources: []\n`;
}

function blockNesting(depth: number): string {
  let text = 'version: 1\nresources:\n';
  for (let i = 0; i < depth; i++) text += `${'  '.repeat(i + 1)}k${i}:\n`;
  return text;
}

const inputs: Array<[string, string]> = [
  ['alias bomb (10^10 nodes if expanded)', aliasBomb()],
  ['flow nesting, 5000 levels', `version: 1\nresources: ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
  ['block nesting, 100 levels', blockNesting(100)],
  ['a megabyte of unclosed brackets', `version: 1\nresources: ${'['.repeat(1000 * 1000)}`],
  ['2 MiB file (over the size limit)', `version: 1\nresources: []\n# ${'x'.repeat(2 * 1024 * 1024)}\n`],
];

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bench-hostile-'));
  try {
    const file = path.join(dir, 'ds.yaml');
    console.log(`refusing hostile desired state (${repeats} runs each; median, max in ms)`);
    for (const [name, text] of inputs) {
      await fs.writeFile(file, text);
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        const refused = await loadDesiredState(file).then(
          () => false,
          () => true,
        );
        times.push(performance.now() - t0);
        if (!refused) throw new Error(`${name}: was accepted`);
      }
      times.sort((a, b) => a - b);
      console.log(`  ${name.padEnd(40)} ${times[Math.floor(times.length / 2)]!.toFixed(1).padStart(8)} ${times.at(-1)!.toFixed(1).padStart(8)}`);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
