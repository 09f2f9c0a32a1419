// --apply: plan, carry the plan out, then plan again to prove convergence
// (with --report, also the check's report of the host as left: apply-report.ts).
// Exit 0 only when every change applied and nothing is left pending.

import { markPrunable, withPrune } from '../plan/prune.js';
import { withHandlers } from '../plan/attach-handlers.js';
import { applyPlan, type ApplyResult, type ChangeOutcome } from '../apply/apply-plan.js';
import { formatBytes } from '../apply/history.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../apply/retention.js';
import { refuseStateDirTargets, stateLayout } from '../apply/state-dir.js';
import { buildPlan } from '../plan/build-plan.js';
import { oneLine } from '../plan/render-escape.js';
import { renderChange } from '../plan/render-text.js';
import type { Plan } from '../plan/types.js';
import type { CliArgs } from './args.js';
import { withTargetFlags } from './command-line.js';
import { loadDesired, openHost, stateDirOf } from './context.js';
import type { Output } from './output.js';
import { partialWarning } from './partial-warning.js';
import { postApplyRules, writeApplyReport, writeFailedApplyReport } from './apply-report.js';
import { progressOn } from './progress.js';

/** One change's outcome in --format json: the plan's identifying fields plus status and message. */
export function outcomeJson(o: ChangeOutcome): Record<string, string> {
  const { resource, kind, target, action } = o.change;
  return { resource, kind, target, action, status: o.status, message: o.message };
}

/** The retention policy of an apply: --keep-runs / --keep-days over the defaults. */
export function retentionOf(args: CliArgs): RetentionPolicy {
  return { keepRuns: args.keepRuns ?? DEFAULT_RETENTION.keepRuns, keepDays: args.keepDays ?? DEFAULT_RETENTION.keepDays };
}

/** The outcome lines of an apply or rollback; with `onlyProblems`, the skipped and failed ones only (--quiet). */
export function renderOutcomes(outcomes: ChangeOutcome[], onlyProblems = false): string[] {
  const out: string[] = [];
  for (const o of outcomes) {
    if (onlyProblems && o.status === 'applied') continue;
    const tag = o.status === 'applied' ? 'ok     ' : o.status === 'skipped' ? 'skipped' : 'FAILED ';
    const detail = o.status === 'applied' ? '' : `\n          ${oneLine(o.message)}`;
    out.push(`  ${tag} ${renderChange(o.change).split('\n')[0]}${detail}`);
  }
  return out;
}

function convergedLine(after: Plan): string {
  return after.changes.length === 0 && after.errors.length === 0
    ? 'The host is converged.'
    : `The host is NOT converged: ${after.changes.length} change(s) still pending, ${after.errors.length} error(s). Run --plan to see them.`;
}

function applySummaryLine(before: Plan, result: ApplyResult): string {
  const c = result.counts;
  return `Apply: ${c.applied} applied, ${c.skipped} skipped, ${c.failed + before.errors.length} failed.`;
}

/** --quiet: what failed, then one summary line. */
function renderApplyQuiet(before: Plan, result: ApplyResult, after: Plan): string {
  const out = renderOutcomes(result.outcomes, true);
  for (const e of before.errors) out.push(`  FAILED  ${e.resource}${e.target ? ` (${oneLine(e.target)})` : ''}: ${oneLine(e.message)}`);
  out.push(`${applySummaryLine(before, result)} ${convergedLine(after)}`);
  return out.join('\n') + '\n';
}

export function renderApplyText(before: Plan, result: ApplyResult, after: Plan, stateDir: string, args: CliArgs): string {
  if (args.quiet) return renderApplyQuiet(before, result, after);
  const out: string[] = [];
  if (before.partial) out.push(partialWarning(before.partial.targets));
  if (before.changes.length === 0 && before.errors.length === 0) out.push('No changes: the host already matches the desired state.');
  else if (before.changes.length === 0) {
    const n = before.errors.length;
    out.push(`Nothing could be changed: ${n} resource${n === 1 ? '' : 's'} could not be planned (errors below).`);
  }
  else out.push(`Applying ${before.changes.length} change${before.changes.length === 1 ? '' : 's'} (run ${result.runId}):`);
  for (const w of result.warnings) out.push(`warning: ${withTargetFlags(w, args)}`);
  out.push(...renderOutcomes(result.outcomes));
  for (const e of before.errors) out.push(`  FAILED  ${e.resource}${e.target ? ` (${oneLine(e.target)})` : ''}: ${oneLine(e.message)}`);
  for (const h of result.handlers) {
    const tag = h.status === 'ran' ? 'ok     ' : h.status === 'skipped' ? 'skipped' : 'FAILED ';
    out.push(`  ${tag} handler ${h.id}: ${oneLine(h.command.join(' '))}${h.status === 'ran' ? '' : `\n          ${h.message.split('\n').map(oneLine).join('\n          ')}`}`);
  }
  if (result.outcomes.length > 0) out.push(`Backups: ${stateLayout(stateDir).backups(result.runId)} (${formatBytes(result.backupBytes)})`);
  if (result.pruned) {
    const n = result.pruned.runs.length;
    out.push(`Pruned ${n} old run${n === 1 ? '' : 's'} (${formatBytes(result.pruned.bytes)} of backups): ${result.pruned.runs.join(', ')}`);
  }
  out.push(applySummaryLine(before, result));
  const failedHandlers = result.handlers.filter((h) => h.status === 'failed').map((h) => h.id);
  if (failedHandlers.length) out.push(`Handler failed: ${failedHandlers.join(', ')}; the apply failed.`);
  out.push(convergedLine(after));
  return out.join('\n') + '\n';
}

export async function applyCommand(args: CliArgs, io: Output): Promise<number> {
  if (args.planFile !== undefined) {
    // Loaded only for a saved plan: it reads YAML, which a plain apply from the load cache never does.
    const { savedPlanApplyCommand } = await import('./saved-plan-apply.js');
    return savedPlanApplyCommand(args, args.planFile, io);
  }
  if (args.report === undefined) return applyDesired(args, io, undefined);
  try {
    return await applyDesired(args, io, args.report);
  } catch (err) {
    await writeFailedApplyReport(args.report, err, args, io);
    throw err;
  }
}

async function applyDesired(args: CliArgs, io: Output, report: string | undefined): Promise<number> {
  const desired = await loadDesired(args, io.err);
  const host = await openHost(args);
  const stateDir = stateDirOf(args);
  const progress = progressOn(io);
  const replan = async () => {
    const planned = markPrunable(
      await buildPlan(host, desired.resources, args.targets, (done, total, id) => progress.update('planning', done, total, id), stateDir),
      desired.resources,
    );
    return refuseStateDirTargets(withHandlers(host, await withPrune(host, planned, desired.resources, stateDir), desired), stateDir);
  };
  // Planned again under the lock: a rollback running meanwhile may have left the host half restored.
  const result = await applyPlan(host, await replan(), {
    stateDir,
    lockTimeoutSeconds: args.lockTimeout,
    desiredFiles: desired.files,
    replan,
    retention: retentionOf(args),
    onProgress: (done, total, target) => progress.update('applying', done, total, target),
  });
  const plan = result.plan;
  // The host as the apply left it: one re-plan for convergence (and the report), the report's rules beside it.
  const [planned, rules] = await Promise.all([
    buildPlan(host, desired.resources, args.targets, (done, total, id) => progress.update('checking', done, total, id), stateDir),
    report === undefined ? undefined : postApplyRules(args, io, host),
  ]);
  const pruned = await withPrune(host, planned, desired.resources, stateDir);
  const after = refuseStateDirTargets(pruned, stateDir);
  progress.clear();
  // The report first: the JSON output carries it, so a caller reading stdout (the Ansible role) needs no second read.
  const written = report === undefined || rules === undefined ? undefined : await writeApplyReport(report, args, io, host, desired, pruned, rules);
  const code = reportApply(plan, result, after, stateDir, args, io, written?.report);
  return written === undefined || written.ok ? code : 1;
}

/** Prints an apply's outcome (text or JSON) and returns the exit code: 0 only when converged. */
export function reportApply(plan: Plan, result: ApplyResult, after: Plan, stateDir: string, args: CliArgs, io: Output, report?: object): number {
  const handlerFailed = result.handlers.some((h) => h.status === 'failed');
  const converged = after.changes.length === 0 && after.errors.length === 0 && result.counts.failed === 0 && !handlerFailed;
  if (args.format === 'json') {
    io.out(
      JSON.stringify(
        {
          runId: result.outcomes.length > 0 ? result.runId : null,
          outcomes: result.outcomes.map(outcomeJson),
          errors: plan.errors,
          warnings: result.warnings,
          summary: { ...result.counts, failed: result.counts.failed + plan.errors.length },
          converged,
          pending: after.changes,
          ...(result.handlers.length ? { handlers: result.handlers } : {}),
          ...(plan.partial ? { partial: plan.partial } : {}),
          backupBytes: result.backupBytes,
          ...(result.pruned ? { pruned: result.pruned } : {}),
          // --report FILE: what was written there.
          ...(report !== undefined ? { report } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    io.out(renderApplyText(plan, result, after, stateDir, args));
  }
  if (!converged) return 1;
  return args.detailedExitcode && result.counts.applied > 0 ? 2 : 0;
}
