// Findings of regression rules, for people. Shown by --plan and --check.

import type { Finding } from '../rules/types.js';
import { oneLine } from './render-escape.js';
import { cell, codeSpan } from './render-markdown.js';

export function failing(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.status === 'fail');
}

export function renderFindingsText(findings: Finding[]): string {
  if (findings.length === 0) return '';
  const out = ['', 'Findings:'];
  for (const f of findings) {
    const tag = f.status === 'skipped' ? 'skipped ' : f.severity.toUpperCase().padEnd(8);
    out.push(`  ${tag} ${f.rule}: ${oneLine(f.target)}: ${oneLine(f.message)}`);
    if (f.status === 'fail') out.push(`           fix: ${oneLine(f.remediation.trim().replace(/\s*\n\s*/g, ' '))}`);
  }
  return out.join('\n') + '\n';
}

export function renderFindingsMarkdown(findings: Finding[]): string {
  if (findings.length === 0) return '';
  const out = ['**Findings**', '', '| severity | rule | target | message | fix |', '|---|---|---|---|---|'];
  for (const f of findings) {
    const fix = f.status === 'fail' ? cell(f.remediation.trim().replace(/\s*\n\s*/g, ' ')) : '';
    out.push(`| ${f.status === 'skipped' ? 'skipped' : f.severity} | ${f.rule} | ${codeSpan(f.target)} | ${cell(f.message)} | ${fix} |`);
  }
  return out.join('\n') + '\n\n';
}

export function countBySeverity(findings: Finding[]): Record<string, number> {
  const counts: Record<string, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of failing(findings)) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return counts;
}
