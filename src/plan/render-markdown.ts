// The plan as Markdown, for a code-review comment.

import { handlerLine } from './attach-handlers.js';
import { renderSummaryLine, unifiedDiff } from './render-text.js';
import type { Plan } from './types.js';

const ICON = { create: '➕', update: '✏️', delete: '➖' } as const;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderPlanMarkdown(plan: Plan, opts: { root: string }): string {
  const out: string[] = [`### reconcile plan for \`${opts.root}\``, '', `**${renderSummaryLine(plan)}**`, ''];
  if (plan.changes.length > 0) {
    out.push('| | target | kind | resource | change |', '|---|---|---|---|---|');
    for (const c of plan.changes) {
      out.push(`| ${ICON[c.action]} | \`${cell(c.target)}\` | ${c.kind} | ${cell(c.resource)} | ${cell(c.summary)} |`);
    }
    out.push('');
  }
  for (const c of plan.changes) {
    if (!c.content || c.content.before === c.content.after) continue;
    out.push(`<details><summary>${cell(c.target)}</summary>`, '', '```diff', unifiedDiff(c.target, c.content.before, c.content.after), '```', '', '</details>', '');
  }
  if (plan.handlers?.length) {
    out.push('**Handlers to run after apply**', '');
    for (const h of plan.handlers) out.push(`- ${cell(handlerLine(h))}`);
    out.push('');
  }
  if (plan.notes.length) {
    out.push('**Notes**', '');
    for (const n of plan.notes) out.push(`- ${n.level === 'warning' ? '⚠️ ' : ''}${n.resource}: ${n.message}`);
    out.push('');
  }
  if (plan.errors.length) {
    out.push('**Errors**', '');
    for (const e of plan.errors) out.push(`- ❌ ${e.resource}: ${e.message}`);
    out.push('');
  }
  return out.join('\n');
}
