// Benchmark: what escaping control characters and colouring cost when a big
// plan is printed. Renders a synthetic plan of N file changes (each with a
// small diff) plain, escaped, and escaped + coloured. Prints figures.
//
//   npm run build && node dist/bench/render-text.js [changes]

import { performance } from 'node:perf_hooks';
import { colourise } from '../src/cli/terminal.js';
import { escapeControls } from '../src/plan/render-escape.js';
import { renderPlanText } from '../src/plan/render-text.js';
import { summarise } from '../src/plan/build-plan.js';
import type { Change, Plan } from '../src/plan/types.js';

const [n = 2000] = process.argv.slice(2).map(Number);

const changes = Array.from({ length: n }, (_, i) => ({
  resource: `f${i}`,
  kind: 'file',
  target: `/etc/managed/f${i}.conf`,
  action: i % 3 === 0 ? 'create' : i % 3 === 1 ? 'update' : 'delete',
  summary: 'content differs',
  attributes: { mode: { before: '0600', after: '0644' } },
  content: { before: `old line ${i}\nsame\n`, after: `new line ${i}\x1b[8m\nsame\n` },
  expect: {},
  op: {},
})) as unknown as Change[];
const base = { changes, unchanged: [], notes: [], errors: [] };
const plan: Plan = { ...base, summary: summarise(base) };

function time(label: string, f: () => string): void {
  f(); // warm up
  const runs = 5;
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < runs; i++) bytes = f().length;
  console.log(`${label.padEnd(26)} ${((performance.now() - t0) / runs).toFixed(1)} ms  (${(bytes / 1024).toFixed(0)} KiB)`);
}

console.log(`${n} changes:`);
time('render', () => renderPlanText(plan, { root: '/' }));
time('render + escape', () => escapeControls(renderPlanText(plan, { root: '/' })));
time('render + escape + colour', () => colourise(escapeControls(renderPlanText(plan, { root: '/' }))));
