// --apply --report FILE: after the apply, the report a following
// `--check --report FILE` would write, from the same process. The rules run
// on the host as the apply left it, beside the re-plan that proves
// convergence; the report is made from that same re-plan (read and pruned once). A fleet runs one
// reconcile per host instead of two (node's start-up, the desired state's
// load and the plan are paid once).

import type { Host } from '../host/types.js';
import type { DesiredState } from '../model/types.js';
import type { Plan } from '../plan/types.js';
import { runRules, type RuleRun } from '../rules/engine.js';
import { loadRules } from '../rules/load.js';
import type { CliArgs } from './args.js';
import { reportErrorOf, writeCheckReport } from './check-report.js';
import { trustRules } from './context.js';
import type { Output } from './output.js';
import { assessmentOf } from './plan-command.js';

export type SettledRules = { run: RuleRun } | { error: string };

/** The rules on the post-apply host; a failure is kept for the report, not thrown (the apply already happened). */
export async function postApplyRules(args: CliArgs, io: Output, host: Host): Promise<SettledRules> {
  try {
    await trustRules(args, io.err);
    return { run: await runRules(host, await loadRules(args.rules)) };
  } catch (err) {
    return { error: reportErrorOf(err) };
  }
}

/**
 * Writes the report of the post-apply plan (buildPlan's result with its prunes) and rules. `ok` is false (said on
 * stderr) when the report says the host could not be checked or could not be written: the run then exits 1.
 * `report` is what was written, for the apply's JSON output.
 */
export async function writeApplyReport(
  file: string,
  args: CliArgs,
  io: Output,
  host: Host,
  desired: DesiredState,
  pruned: Plan,
  rules: SettledRules,
): Promise<{ ok: boolean; report?: object }> {
  const now = Date.now() / 1000;
  try {
    if ('error' in rules) {
      const report = await writeCheckReport(file, null, rules.error, args, now);
      io.err(`reconcile: error: the report ${file} could not check the host: ${rules.error}\n`);
      return { ok: false, report };
    }
    return { ok: true, report: await writeCheckReport(file, assessmentOf(host, desired, pruned, rules.run, args), null, args, now) };
  } catch (err) {
    io.err(`reconcile: error: could not write the report ${file}: ${reportErrorOf(err)}\n`);
    return { ok: false };
  }
}

/** A run that threw (bad input, the lock held, ...) still leaves a report naming why, not an older one. */
export async function writeFailedApplyReport(file: string, err: unknown, args: CliArgs, io: Output): Promise<void> {
  try {
    await writeCheckReport(file, null, reportErrorOf(err), args, Date.now() / 1000);
  } catch (writeErr) {
    io.err(`reconcile: error: could not write the report ${file}: ${reportErrorOf(writeErr)}\n`);
  }
}
