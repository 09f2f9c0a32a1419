// --plan: compute and show; change nothing. Exit 0 matches, 2 pending, 1 error.
// Findings of regression rules are shown too but do not change the exit code.

import { refuseStateDirTargets } from '../apply/state-dir.js';
import { markPrunable, withPrune } from '../plan/prune.js';
import { withHandlers } from '../plan/attach-handlers.js';
import { buildPlan } from '../plan/build-plan.js';
import { countBySeverity, failing, renderFindingsMarkdown, renderFindingsText } from '../plan/render-findings.js';
import { planToJson } from '../plan/render-json.js';
import { renderPlanMarkdown } from '../plan/render-markdown.js';
import { renderPlanErrors, renderPlanText, renderSummaryLine } from '../plan/render-text.js';
import type { Plan } from '../plan/types.js';
import { runRules, type RuleRun } from '../rules/engine.js';
import { loadRules } from '../rules/load.js';
import type { Finding, Rule } from '../rules/types.js';
import type { Host } from '../host/types.js';
import { guardrailNotes } from '../model/guardrails.js';
import type { DesiredState } from '../model/types.js';
import type { CliArgs } from './args.js';
import { loadDesired, openHost, stateDirOf, trustRules } from './context.js';
import type { Output } from './output.js';
import { partialWarning } from './partial-warning.js';
import { progressOn } from './progress.js';
import { localiseRemediation } from './remediation.js';

export interface Assessment {
  plan: Plan;
  findings: Finding[];
  /** Rules that were evaluated (for metrics: zero series for passing rules). */
  evaluated: Rule[];
  /** What the plan was made from and on, for a saved plan (--out); the desired state also lets fixes name its files. */
  host: Host;
  desired: DesiredState;
}

/** Plan + rules: what --plan and --check both compute. */
export async function assess(args: CliArgs, io: Output): Promise<Assessment> {
  const desired = await loadDesired(args, io.err);
  await trustRules(args, io.err);
  const rules = await loadRules(args.rules);
  const host = await openHost(args);
  const progress = progressOn(io);
  const [planned, run] = await Promise.all([
    buildPlan(host, desired.resources, args.targets, (done, total, id) => progress.update('planning', done, total, id), stateDirOf(args)),
    runRules(host, rules),
  ]);
  progress.clear();
  return assessmentOf(host, desired, await withPrune(host, planned, desired.resources, stateDirOf(args)), run, args);
}

/**
 * The assessment of a fresh plan with its prunes (withPrune of buildPlan's result) and a rule run: what
 * --check reports, also after --apply --report (whose re-plan is pruned once for both). markPrunable only
 * flags creates and withPrune only adds deletes, so marking after pruning gives the same plan.
 */
export function assessmentOf(host: Host, desired: DesiredState, pruned: Plan, run: RuleRun, args: CliArgs): Assessment {
  const plan = withHandlers(host, markPrunable(pruned, desired.resources), desired);
  const refused = refuseStateDirTargets(plan, stateDirOf(args));
  // Setuid, world-writable and non-GPU device modes are said, never refused (the exit code does not change).
  const guarded = { ...refused, notes: [...refused.notes, ...guardrailNotes(desired.resources)] };
  return { plan: guarded, findings: run.findings, evaluated: run.evaluated, host, desired };
}

/** The --plan JSON object plus findings and summary.findings: the --check contract. */
export function assessmentJson(a: Assessment): Record<string, unknown> {
  const findings = a.findings.map(({ rule, severity, target, message, remediation, status }) => ({
    rule,
    severity,
    target,
    message,
    remediation,
    status,
  }));
  const summary = { ...a.plan.summary, findings: failing(a.findings).length, findingsBySeverity: countBySeverity(a.findings) };
  return { ...planToJson(a.plan), summary, findings, ...(a.plan.partial ? { partial: a.plan.partial } : {}) };
}

export function renderAssessment(a: Assessment, args: CliArgs): string {
  if (args.format === 'json') return JSON.stringify(assessmentJson(a), null, 2) + '\n';
  const partial = a.plan.partial ? `${args.format === 'markdown' ? '> **' : ''}${partialWarning(a.plan.partial.targets)}${args.format === 'markdown' ? '**' : ''}\n\n` : '';
  // For people, fixes name the desired-state file actually loaded and carry this run's flags (JSON keeps the rule's text).
  const findings = a.findings.map((f) => ({ ...f, remediation: localiseRemediation(f.remediation, a.desired, args) }));
  if (args.format === 'markdown') return partial + renderPlanMarkdown(a.plan, { root: args.root }) + renderFindingsMarkdown(findings);
  if (args.quiet) return renderPlanErrors(a.plan).slice(1).map((l) => `${l}\n`).join('');
  return partial + renderPlanText(a.plan, { root: args.root }) + renderFindingsText(findings);
}

/** --plan --quiet: after the errors, one line with the plan's counts and the failing findings. */
function quietSummaryLine(a: Assessment): string {
  const sev = countBySeverity(a.findings);
  const n = failing(a.findings).length;
  const findings = n === 0 ? '' : ` Findings: ${sev.critical} critical, ${sev.warning} warning, ${sev.info} info.`;
  return `${renderSummaryLine(a.plan)}${findings}\n`;
}

export function planExitCode(plan: Plan): number {
  if (plan.errors.length > 0) return 1;
  return plan.changes.length > 0 ? 2 : 0;
}

export async function planCommand(args: CliArgs, io: Output): Promise<number> {
  const a = await assess(args, io);
  // Loaded only for --out: a plain plan does not load the saved-plan writer (nor node:crypto for it).
  if (args.out !== undefined) await (await import('./save-plan.js')).savePlan(a, args, args.out);
  io.out(renderAssessment(a, args));
  if (args.out !== undefined && args.format === 'text') io.out(`Saved this plan to ${args.out}: apply exactly it with reconcile --apply --plan-file ${args.out}\n`);
  if (args.quiet && args.format === 'text') io.out(quietSummaryLine(a));
  return planExitCode(a.plan);
}
