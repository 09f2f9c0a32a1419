// The plan for people: one line per change with a +/~/- marker, a unified
// diff for file content, the per-member difference for groups.

import { handlerLine } from './attach-handlers.js';
import { createTwoFilesPatch } from 'diff';
import { oneLine } from './render-escape.js';
import { collapseChanges } from './collapse-changes.js';
import type { Change, Plan } from './types.js';

const MARKER = { create: '+', update: '~', delete: '-' } as const;

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : by + l))
    .join('\n');
}

export function unifiedDiff(target: string, before: string | null, after: string | null): string {
  // A name with control characters is quoted and escaped by the diff package itself, as git does.
  const patch = createTwoFilesPatch(
    before === null ? '/dev/null' : `a${target}`,
    after === null ? '/dev/null' : `b${target}`,
    before ?? '',
    after ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop the "=====" banner line the diff package puts first.
  return patch
    .split('\n')
    .filter((l) => !/^={10,}$/.test(l))
    .join('\n')
    .trimEnd();
}

export function renderChange(change: Change): string {
  // Summaries may repeat the target ("/dev/nvidia0: mode ..."); the line already starts with it.
  const summary = change.summary.startsWith(`${change.target}: `) ? change.summary.slice(change.target.length + 2) : change.summary;
  const lines = [`${MARKER[change.action]} ${oneLine(change.target)}  (${change.kind} ${change.resource}): ${oneLine(summary)}`];
  for (const [name, a] of Object.entries(change.attributes ?? {})) {
    lines.push(`    ${name}: ${oneLine(a.before ?? '(none)')} -> ${oneLine(a.after ?? '(none)')}`);
  }
  if (change.members) {
    for (const m of change.members.add) lines.push(`    + ${oneLine(m)}`);
    for (const m of change.members.remove) lines.push(`    - ${oneLine(m)}`);
  }
  if (change.content && change.content.before !== change.content.after) {
    lines.push(indent(unifiedDiff(change.target, change.content.before, change.content.after)));
  }
  return lines.join('\n');
}

export function renderSummaryLine(plan: Plan): string {
  const s = plan.summary;
  const errors = s.errors ? `, ${s.errors} error${s.errors === 1 ? '' : 's'}` : '';
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.unchanged} unchanged${errors}.`;
}

export function renderPlanText(plan: Plan, opts: { root: string; verbose?: boolean }): string {
  const out: string[] = [];
  out.push(`Host root: ${opts.root}`);
  out.push('');
  if (plan.changes.length === 0) out.push(noChangesLine(plan));
  for (const line of collapseChanges(plan.changes)) out.push('change' in line ? renderChange(line.change) : `  ${line.collapsed}`);
  if (plan.handlers?.length) {
    out.push('', 'Handlers to run after apply:');
    for (const h of plan.handlers) out.push(`  ! ${oneLine(handlerLine(h))}`);
  }
  if (plan.notes.length) {
    out.push('', 'Notes:');
    for (const n of plan.notes) out.push(`  ${n.level === 'warning' ? '!' : '-'} ${n.resource}: ${oneLine(n.message)}`);
  }
  out.push(...renderPlanErrors(plan));
  out.push('', renderSummaryLine(plan));
  return out.join('\n') + '\n';
}

/** What a plan without changes says: never "matches" while a resource could not be planned. */
export function noChangesLine(plan: Plan): string {
  const n = plan.errors.length;
  if (n === 0) return 'No changes: the host matches the desired state.';
  return `Nothing planned: ${n} resource${n === 1 ? '' : 's'} could not be planned (errors below), so the host may not match.`;
}

export function renderPlanErrors(plan: Plan): string[] {
  if (plan.errors.length === 0) return [];
  return ['', 'Errors:', ...plan.errors.map((e) => `  x ${e.resource}${e.target ? ` (${oneLine(e.target)})` : ''}: ${oneLine(e.message)}`)];
}
