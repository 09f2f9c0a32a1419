// --rollback [RUN_ID]: put back what one run changed (default: the latest
// apply that changed something and was not rolled back). Exit 0 when every
// target is back as it was; 1 when anything was refused, skipped or failed.

import { rollbackRun, type RollbackResult } from '../apply/rollback.js';
import { stateLayout } from '../apply/state-dir.js';
import { oneLine } from '../plan/render-escape.js';
import type { CliArgs } from './args.js';
import { outcomeJson, renderOutcomes } from './apply-command.js';
import { reconcileCommand, withTargetFlags } from './command-line.js';
import { openHost, stateDirOf } from './context.js';
import type { Output } from './output.js';

function renderText({ rollback, result, warnings }: RollbackResult, stateDir: string, args: CliArgs): string {
  const run = rollback.run;
  const quiet = args.quiet;
  const out: string[] = quiet ? [] : warnings.map((w) => `warning: ${withTargetFlags(w, args)}`);
  const n = rollback.plan.changes.length;
  if (!quiet) {
    for (const c of rollback.conflicts) {
      out.push(`warning: --force: putting back ${oneLine(c.target)} although it changed since run ${run.runId}: ${oneLine(c.reason)}`);
    }
  }
  if (result === null) {
    out.push(
      rollback.plan.errors.length === 0
        ? `Nothing to roll back: every target of run ${run.runId} is already as it was before that run.`
        : `Run ${run.runId} cannot be rolled back:`,
    );
  } else if (!quiet) {
    out.push(`Rolling back run ${run.runId} (${run.operation} of ${run.time} by ${run.user}): ${n} change${n === 1 ? '' : 's'} (run ${result.runId}):`);
    for (const w of result.warnings) out.push(`warning: ${withTargetFlags(w, args)}`);
  }
  if (result !== null) out.push(...renderOutcomes(result.outcomes, quiet));
  // Targets the run changed that are already back: said, so the list of what the run touched is complete.
  if (!quiet) for (const t of rollback.alreadyBefore) out.push(`  already ${oneLine(t)}  (as it was before run ${run.runId})`);
  for (const e of rollback.plan.errors) out.push(`  FAILED  ${oneLine(e.target ?? e.resource)}: ${oneLine(e.message)}`);
  // What a rollback leaves as it is (a package, a started unit), said once.
  if (!quiet) for (const n of rollback.plan.notes) if (n.resource !== '(rollback)') out.push(`  note    ${oneLine(n.message)}`);
  if (result !== null) {
    if (!quiet) out.push(`Backups of the state before this rollback: ${stateLayout(stateDir).backups(result.runId)}`);
    const c = result.counts;
    out.push(`Rollback: ${c.applied} applied, ${c.skipped} skipped, ${c.failed + rollback.plan.errors.length} failed.`);
    if (!quiet) out.push(`Undo this rollback with: ${reconcileCommand(args, '--rollback', result.runId)}`);
  }
  return out.join('\n') + '\n';
}

export async function rollbackCommand(args: CliArgs, io: Output): Promise<number> {
  const host = await openHost(args);
  const stateDir = stateDirOf(args);
  const done = await rollbackRun(host, { stateDir, runId: args.runId, force: args.force, lockTimeoutSeconds: args.lockTimeout });
  const { rollback, result } = done;
  const failed = (result?.counts.failed ?? 0) + (result?.counts.skipped ?? 0) + rollback.plan.errors.length;
  if (args.format === 'json') {
    io.out(
      JSON.stringify(
        {
          runId: result?.runId ?? null,
          rollbackOf: rollback.run.runId,
          forced: rollback.conflicts,
          alreadyBefore: rollback.alreadyBefore,
          outcomes: (result?.outcomes ?? []).map(outcomeJson),
          errors: rollback.plan.errors,
          warnings: [...done.warnings, ...(result?.warnings ?? [])],
          summary: { applied: result?.counts.applied ?? 0, skipped: result?.counts.skipped ?? 0, failed: (result?.counts.failed ?? 0) + rollback.plan.errors.length },
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    io.out(renderText(done, stateDir, args));
  }
  return failed === 0 ? 0 : 1;
}
