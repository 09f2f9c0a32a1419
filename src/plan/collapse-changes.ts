// A resource that changes hundreds of targets (a permissions tree, many
// links) would bury the rest of a text plan. Past a threshold, text shows its
// first few changes and one line counting the rest by what changes; JSON
// still lists every change.

import type { Change } from './types.js';

export const COLLAPSE_OVER = 50;
export const SHOWN_WHEN_COLLAPSED = 10;

export type PlanLine = { change: Change } | { collapsed: string };

/** Changes in plan order, with each over-large resource's tail replaced by one summary line. */
export function collapseChanges(changes: Change[]): PlanLine[] {
  const perResource = new Map<string, number>();
  for (const c of changes) perResource.set(c.resource, (perResource.get(c.resource) ?? 0) + 1);
  const shown = new Map<string, number>();
  const rest = new Map<string, Change[]>();
  const lines: PlanLine[] = [];
  for (const c of changes) {
    if ((perResource.get(c.resource) ?? 0) <= COLLAPSE_OVER) {
      lines.push({ change: c });
      continue;
    }
    const n = shown.get(c.resource) ?? 0;
    if (n < SHOWN_WHEN_COLLAPSED) {
      shown.set(c.resource, n + 1);
      lines.push({ change: c });
      continue;
    }
    if (!rest.has(c.resource)) {
      rest.set(c.resource, []);
      lines.push({ collapsed: c.resource });
    }
    rest.get(c.resource)!.push(c);
  }
  return lines.map((l) => ('collapsed' in l ? { collapsed: describeRest(l.collapsed, rest.get(l.collapsed)!) } : l));
}

function describeRest(resource: string, changes: Change[]): string {
  const kinds = new Map<string, number>();
  for (const c of changes) {
    const what = c.attributes && Object.keys(c.attributes).length > 0
      ? Object.entries(c.attributes).map(([k, a]) => `${k} ${a.before ?? '(none)'} -> ${a.after ?? '(none)'}`).join(', ')
      : c.action;
    kinds.set(what, (kinds.get(what) ?? 0) + 1);
  }
  const top = [...kinds].sort((a, b) => b[1] - a[1]);
  const listed = top.slice(0, 5).map(([what, n]) => `${n} × ${what}`);
  if (top.length > 5) listed.push(`${top.slice(5).reduce((s, [, n]) => s + n, 0)} other`);
  return `… and ${changes.length} more changes by ${resource}: ${listed.join('; ')} (--format json lists each)`;
}
