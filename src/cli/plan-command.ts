// --plan: compute and show; change nothing. Exit 0 matches, 2 pending, 1 error.

import { buildPlan } from '../plan/build-plan.js';
import { renderPlanJson } from '../plan/render-json.js';
import { renderPlanMarkdown } from '../plan/render-markdown.js';
import { renderPlanText } from '../plan/render-text.js';
import type { Plan } from '../plan/types.js';
import type { CliArgs } from './args.js';
import { loadDesired, openHost } from './context.js';
import type { Output } from './output.js';

export function renderPlan(plan: Plan, args: CliArgs): string {
  if (args.format === 'json') return renderPlanJson(plan);
  if (args.format === 'markdown') return renderPlanMarkdown(plan, { root: args.root });
  return renderPlanText(plan, { root: args.root });
}

export function planExitCode(plan: Plan): number {
  if (plan.errors.length > 0) return 1;
  return plan.changes.length > 0 ? 2 : 0;
}

export async function planCommand(args: CliArgs, io: Output): Promise<number> {
  const desired = await loadDesired(args);
  const host = await openHost(args);
  const plan = await buildPlan(host, desired.resources);
  io.out(renderPlan(plan, args));
  return planExitCode(plan);
}
