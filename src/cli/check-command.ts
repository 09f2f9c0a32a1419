// --check: the nightly drift check. Plan + rules, change nothing.
// Exit 0 clean, 2 drift or a warning/critical finding, 1 error. Writes the
// Prometheus textfile and the JSON report even when the check itself fails,
// so a broken check raises its own alert instead of going quiet.

import { writeLocalFileAtomic } from '../host/local-write.js';
import { logToSyslog } from '../host/syslog.js';
import { countBySeverity, failing } from '../plan/render-findings.js';
import { renderPrometheus } from '../rules/prometheus.js';
import type { CliArgs } from './args.js';
import { assess, renderAssessment, type Assessment } from './plan-command.js';
import { reportErrorOf, writeCheckReport } from './check-report.js';
import type { Output } from './output.js';

export function checkExitCode(a: Assessment): number {
  if (a.plan.errors.length > 0) return 1;
  const serious = failing(a.findings).filter((f) => f.severity !== 'info');
  return a.plan.changes.length > 0 || serious.length > 0 ? 2 : 0;
}

function summaryLine(a: Assessment | null, error: string | null): string {
  if (a === null) return `check failed: ${error}`;
  const sev = countBySeverity(a.findings);
  const state = checkExitCode(a) === 0 ? 'clean' : a.plan.errors.length > 0 ? 'error' : 'DRIFT';
  return `check ${state}: ${a.plan.changes.length} change(s) pending, ${a.plan.errors.length} error(s), findings: ${sev.critical} critical, ${sev.warning} warning, ${sev.info} info`;
}

export async function checkCommand(args: CliArgs, io: Output): Promise<number> {
  let a: Assessment | null = null;
  let error: string | null = null;
  try {
    a = await assess(args, io);
  } catch (err) {
    error = reportErrorOf(err);
  }
  const now = Date.now() / 1000;
  const success = a !== null && a.plan.errors.length === 0;
  if (args.prom) {
    await writeLocalFileAtomic(
      args.prom,
      renderPrometheus({
        changes: a?.plan.changes ?? [],
        findings: a?.findings ?? [],
        rules: a?.evaluated ?? [],
        success,
        assessed: a !== null,
        planErrors: a?.plan.errors.length ?? 0,
        nowSeconds: now,
      }),
    );
  }
  if (args.report) await writeCheckReport(args.report, a, error, args, now);
  if (!io.isTTY) await logToSyslog(summaryLine(a, error), success && checkExitCode(a!) === 0 ? 'user.notice' : 'user.warning');
  if (a === null) {
    io.err(`reconcile: error: ${error}\n`);
    return 1;
  }
  io.out(renderAssessment(a, args));
  if (args.format === 'text') io.out(`${summaryLine(a, null).replace(/^check/, 'Check')}.\n`);
  return checkExitCode(a);
}
