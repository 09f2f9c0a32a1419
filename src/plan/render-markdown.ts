// The plan as Markdown, for a code-review comment.

import { oneLine } from './render-escape.js';
import { handlerLine } from './attach-handlers.js';
import { renderSummaryLine, unifiedDiff } from './render-text.js';
import type { Plan } from './types.js';

const ICON = { create: '➕', update: '✏️', delete: '➖' } as const;

/** A table cell or list item: one line, control characters escaped, pipes kept out of the table syntax. */
export function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

/** A name as inline code; a name with backticks gets a longer fence, as CommonMark allows. */
export function codeSpan(text: string): string {
  const t = cell(text);
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return longest === 0 ? `${fence}${t}${fence}` : `${fence} ${t} ${fence}`;
}

/** Text inside raw HTML (the <summary> of a diff): no tags from file names. */
function html(text: string): string {
  return cell(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderPlanMarkdown(plan: Plan, opts: { root: string }): string {
  const out: string[] = [`### reconcile plan for \`${opts.root}\``, '', `**${renderSummaryLine(plan)}**`, ''];
  if (plan.changes.length > 0) {
    out.push('| | target | kind | resource | change |', '|---|---|---|---|---|');
    for (const c of plan.changes) {
      out.push(`| ${ICON[c.action]} | ${codeSpan(c.target)} | ${c.kind} | ${cell(c.resource)} | ${cell(c.summary)} |`);
    }
    out.push('');
  }
  for (const c of plan.changes) {
    if (!c.content || c.content.before === c.content.after) continue;
    out.push(`<details><summary>${html(c.target)}</summary>`, '', '```diff', unifiedDiff(c.target, c.content.before, c.content.after), '```', '', '</details>', '');
  }
  if (plan.handlers?.length) {
    out.push('**Handlers to run after apply**', '');
    for (const h of plan.handlers) out.push(`- ${cell(handlerLine(h))}`);
    out.push('');
  }
  if (plan.notes.length) {
    out.push('**Notes**', '');
    for (const n of plan.notes) out.push(`- ${n.level === 'warning' ? '⚠️ ' : ''}${n.resource}: ${cell(n.message)}`);
    out.push('');
  }
  if (plan.errors.length) {
    out.push('**Errors**', '');
    for (const e of plan.errors) out.push(`- ❌ ${e.resource}${e.target ? ` (${codeSpan(e.target)})` : ''}: ${cell(e.message)}`);
    out.push('');
  }
  // Ends with a blank line, so that what follows (the findings) is not read as part of the last list item.
  return out.join('\n') + '\n';
}
