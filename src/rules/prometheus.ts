// Metrics for node_exporter's textfile collector (Prometheus text exposition
// format 0.0.4). Every resource kind and every evaluated rule gets a series,
// zeros included, so alerts resolve when the drift is fixed. A plan error in
// one resource does not hide the drift and findings of the others: those
// series are written whenever the assessment ran.

import { RESOURCE_KINDS } from '../model/types.js';
import type { Change } from '../plan/types.js';
import type { Finding, Rule } from './types.js';

export interface PrometheusInput {
  changes: Change[];
  findings: Finding[];
  /** The rules that were evaluated (RuleRun.evaluated): each gets a series, 0 when it passed. */
  rules: Rule[];
  /** false when the check failed or the plan had errors (reconcile_check_success 0). */
  success: boolean;
  /**
   * false when nothing could be evaluated (the desired state did not load):
   * then only success and timestamp are written, since drift counts would be
   * guesses. Defaults to true.
   */
  assessed?: boolean;
  /** Resources that could not be planned (reconcile_plan_errors). */
  planErrors?: number;
  nowSeconds: number;
}

/** Label value escaping per the exposition format: backslash, double quote, newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
    .join(',')}}`;
}

function header(name: string, help: string): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
}

export function renderPrometheus(input: PrometheusInput): string {
  const lines: string[] = [];
  if (input.assessed ?? true) {
    lines.push(...header('reconcile_drift_changes', 'Changes pending in the last check (host differs from the desired state), by resource kind.'));
    const kinds = [...new Set<string>([...RESOURCE_KINDS, ...input.changes.map((c) => c.kind)])];
    for (const kind of kinds) {
      const n = input.changes.filter((c) => c.kind === kind).length;
      lines.push(`reconcile_drift_changes${labels({ kind })} ${n}`);
    }

    lines.push(...header('reconcile_findings', 'Failing findings of each regression rule in the last check; 0 when the rule passed.'));
    const series = new Map<string, { rule: string; severity: string; n: number }>();
    const key = (rule: string, severity: string) => `${rule}\u0000${severity}`;
    for (const r of input.rules) series.set(key(r.id, r.severity), { rule: r.id, severity: r.severity, n: 0 });
    for (const f of input.findings) {
      if (f.status !== 'fail') continue;
      const k = key(f.rule, f.severity);
      const s = series.get(k) ?? { rule: f.rule, severity: f.severity, n: 0 };
      s.n++;
      series.set(k, s);
    }
    for (const s of [...series.values()].sort((a, b) => a.rule.localeCompare(b.rule))) {
      lines.push(`reconcile_findings${labels({ rule: s.rule, severity: s.severity })} ${s.n}`);
    }

    lines.push(...header('reconcile_plan_errors', 'Resources the last check could not plan (each is an error in the report).'));
    lines.push(`reconcile_plan_errors ${input.planErrors ?? 0}`);
  }

  lines.push(...header('reconcile_check_success', '1 when the last check ran to completion without errors, 0 when it failed or some resource could not be planned.'));
  lines.push(`reconcile_check_success ${input.success ? 1 : 0}`);
  lines.push(...header('reconcile_last_check_timestamp_seconds', 'Unix time of the last check.'));
  lines.push(`reconcile_last_check_timestamp_seconds ${formatNumber(input.nowSeconds)}`);
  return lines.join('\n') + '\n';
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(3);
}
