// --apply: plan, carry the plan out, then plan again to prove convergence.
// Exit 0 only when every change applied and nothing is left pending.

import { markPrunable, withPrune } from '../plan/prune.js';
import { withHandlers } from '../plan/attach-handlers.js';
import { applyPlan, type ApplyResult, type ChangeOutcome } from '../apply/apply-plan.js';
import { stateLayout } from '../apply/state-dir.js';
import { buildPlan } from '../plan/build-plan.js';
import { renderChange } from '../plan/render-text.js';
import type { Plan } from '../plan/types.js';
import type { CliArgs } from './args.js';
import { loadDesired, openHost, stateDirOf } from './context.js';
import type { Output } from './output.js';
import { partialWarning } from './partial-warning.js';
import { savedPlanApplyCommand } from './saved-plan-apply.js';

/** One change's outcome in --format json: the plan's identifying fields plus status and message. */
export function outcomeJson(o: ChangeOutcome): Record<string, string> {
  const { resource, kind, target, action } = o.change;
  return { resource, kind, target, action, status: o.status, message: o.message };
}

export function renderApplyText(before: Plan, result: ApplyResult, after: Plan, stateDir: string): string {
  const out: string[] = [];
  if (before.partial) out.push(partialWarning(before.partial.targets));
  if (before.changes.length === 0 && before.errors.length === 0) out.push('No changes: the host already matches the desired state.');
  else if (before.changes.length === 0) {
    const n = before.errors.length;
    out.push(`Nothing could be changed: ${n} resource${n === 1 ? '' : 's'} could not be planned (errors below).`);
  }
  else out.push(`Applying ${before.changes.length} change${before.changes.length === 1 ? '' : 's'} (run ${result.runId}):`);
  for (const w of result.warnings) out.push(`warning: ${w}`);
  for (const o of result.outcomes) {
    const tag = o.status === 'applied' ? 'ok     ' : o.status === 'skipped' ? 'skipped' : 'FAILED ';
    const detail = o.status === 'applied' ? '' : `\n          ${o.message}`;
    out.push(`  ${tag} ${renderChange(o.change).split('\n')[0]}${detail}`);
  }
  for (const e of before.errors) out.push(`  FAILED  ${e.resource}${e.target ? ` (${e.target})` : ''}: ${e.message}`);
  for (const h of result.handlers) {
    const tag = h.status === 'ran' ? 'ok     ' : h.status === 'skipped' ? 'skipped' : 'FAILED ';
    out.push(`  ${tag} handler ${h.id}: ${h.command.join(' ')}${h.status === 'ran' ? '' : `\n          ${h.message.replace(/\n/g, '\n          ')}`}`);
  }
  if (result.outcomes.length > 0) out.push(`Backups: ${stateLayout(stateDir).backups(result.runId)}`);
  const c = result.counts;
  out.push(`Apply: ${c.applied} applied, ${c.skipped} skipped, ${c.failed + before.errors.length} failed.`);
  const failedHandlers = result.handlers.filter((h) => h.status === 'failed').map((h) => h.id);
  if (failedHandlers.length) out.push(`Handler failed: ${failedHandlers.join(', ')}; the apply failed.`);
  out.push(
    after.changes.length === 0 && after.errors.length === 0
      ? 'The host is converged.'
      : `The host is NOT converged: ${after.changes.length} change(s) still pending, ${after.errors.length} error(s). Run --plan to see them.`,
  );
  return out.join('\n') + '\n';
}

export async function applyCommand(args: CliArgs, io: Output): Promise<number> {
  if (args.planFile !== undefined) return savedPlanApplyCommand(args, args.planFile, io);
  const desired = await loadDesired(args, io.err);
  const host = await openHost(args);
  const stateDir = stateDirOf(args);
  const planned = markPrunable(await buildPlan(host, desired.resources, args.targets), desired.resources);
  const plan = withHandlers(host, await withPrune(host, planned, desired.resources, stateDir), desired);
  const result = await applyPlan(host, plan, { stateDir, lockTimeoutSeconds: args.lockTimeout, desiredFiles: desired.files });
  const after = await withPrune(host, await buildPlan(host, desired.resources, args.targets), desired.resources, stateDir);
  return reportApply(plan, result, after, stateDir, args, io);
}

/** Prints an apply's outcome (text or JSON) and returns the exit code: 0 only when converged. */
export function reportApply(plan: Plan, result: ApplyResult, after: Plan, stateDir: string, args: CliArgs, io: Output): number {
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
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    io.out(renderApplyText(plan, result, after, stateDir));
  }
  return converged ? 0 : 1;
}
