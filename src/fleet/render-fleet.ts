// The fleet view for people (text, markdown); JSON is the FleetView itself.

import type { FleetHost, FleetView } from './merge-reports.js';

const MARKER: Record<string, string> = { create: '+', update: '~', delete: '-' };

function headline(view: FleetView): string {
  const { ok, drift, failed } = view.totals;
  const n = view.hosts.length;
  return `Fleet: ${n} host${n === 1 ? '' : 's'}: ${ok} ok, ${drift} drifted, ${failed} failed.`;
}

function pendingCell(h: FleetHost): string {
  return `+${h.pending.create} ~${h.pending.update} -${h.pending.delete}`;
}

function findingCell(h: FleetHost, rule: string): string {
  const f = h.findings[rule];
  return f ? `${f.severity} ${f.count}` : '.';
}

/** Rows of cells as columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function renderFleetText(view: FleetView): string {
  const out = [headline(view), ''];
  const header = ['host', 'status', 'pending', ...view.rules, 'checked at'];
  const rows = view.hosts.map((h) => [h.host, h.status === 'ok' ? 'ok' : h.status.toUpperCase(), pendingCell(h), ...view.rules.map((r) => findingCell(h, r)), h.checkedAt ?? '-']);
  out.push(...table([header, ...rows]));
  for (const h of view.hosts) {
    if (h.changes.length === 0 && h.errors.length === 0) continue;
    out.push('', `${h.host}:`);
    for (const c of h.changes) out.push(`  ${MARKER[c.action] ?? '?'} ${c.target}  (${c.kind} ${c.resource}): ${c.summary}`);
    for (const e of h.errors) out.push(`  FAILED ${e}`);
  }
  return out.join('\n') + '\n';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderFleetMarkdown(view: FleetView): string {
  const out = [`### ${headline(view)}`, ''];
  const header = ['host', 'status', 'pending', ...view.rules.map((r) => `\`${r}\``), 'checked at'];
  out.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
  for (const h of view.hosts) {
    const status = h.status === 'ok' ? 'ok' : `**${h.status}**`;
    out.push(`| ${[cell(h.host), status, pendingCell(h), ...view.rules.map((r) => findingCell(h, r)), h.checkedAt ?? '-'].join(' | ')} |`);
  }
  for (const h of view.hosts) {
    if (h.changes.length === 0 && h.errors.length === 0) continue;
    out.push('', `<details><summary>${cell(h.host)}: ${h.changes.length} pending, ${h.errors.length} error(s)</summary>`, '');
    for (const c of h.changes) out.push(`- \`${MARKER[c.action] ?? '?'}\` \`${cell(c.target)}\` (${c.kind} ${cell(c.resource)}): ${cell(c.summary)}`);
    for (const e of h.errors) out.push(`- **failed**: ${cell(e)}`);
    out.push('', '</details>');
  }
  return out.join('\n') + '\n';
}
