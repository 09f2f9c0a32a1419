// --history: the runs recorded in the state directory, newest first: who,
// when, what changed, and how it ended. Reads only; takes no lock.

import { describeDamaged, formatBytes, readStateRuns, rolledBackBy, summariseRun, type RunSummary } from '../apply/history.js';
import { oneLine } from '../plan/render-escape.js';
import type { CliArgs } from './args.js';
import { openHost, stateDirOf } from './context.js';
import type { Output } from './output.js';

const MARKER = { create: '+', update: '~', delete: '-' } as const;

function renderRun(r: RunSummary): string {
  const lines: string[] = [];
  const what = r.operation === 'rollback' ? `rollback of ${r.rollbackOf}` : 'apply';
  lines.push(`${r.runId}  ${what}  ${r.outcome}  ${oneLine(r.time)}  by ${oneLine(r.user)} on ${oneLine(r.hostname)}`);
  const c = r.counts;
  const counts = [`${c.applied} applied`, c.skipped ? `${c.skipped} skipped` : '', c.failed ? `${c.failed} failed` : '', c.interrupted ? `${c.interrupted} interrupted` : '']
    .filter(Boolean)
    .join(', ');
  lines.push(`  ${counts}; backups ${formatBytes(r.backupBytes)}`);
  for (const t of r.targets) {
    const status = t.status === 'applied' ? '' : `  [${t.status}${t.message ? `: ${oneLine(t.message)}` : ''}]`;
    lines.push(`  ${MARKER[t.action]} ${oneLine(t.target)}  (${t.kind} ${oneLine(t.resource)})${status}`);
  }
  if (r.rolledBackBy.length > 0) lines.push(`  rolled back by ${r.rolledBackBy.join(', ')}`);
  return lines.join('\n');
}

export async function historyCommand(args: CliArgs, io: Output): Promise<number> {
  const host = await openHost(args);
  const stateDir = stateDirOf(args);
  const { runs, damaged } = await readStateRuns(host, stateDir);
  const undone = rolledBackBy(runs);
  const summaries = runs.map((r) => summariseRun(r, undone.get(r.runId))).reverse();
  if (args.format === 'json') {
    io.out(JSON.stringify({ root: host.root, stateDir, runs: summaries, damaged }, null, 2) + '\n');
    return 0;
  }
  for (const d of damaged) io.out(`warning: ${describeDamaged(d)}\n`);
  if (summaries.length === 0) {
    io.out(`No runs recorded in ${stateDir} (root ${host.root}).\n`);
    return 0;
  }
  io.out(`Runs recorded in ${stateDir} (root ${host.root}), newest first:\n\n${summaries.map(renderRun).join('\n\n')}\n`);
  return 0;
}
