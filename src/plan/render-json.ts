// The plan as JSON: the contract of `--format json`. Everything else renders
// from the same value.

import type { Plan } from './types.js';

export function planToJson(plan: Plan, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    changes: plan.changes,
    summary: plan.summary,
    unchanged: plan.unchanged,
    notes: plan.notes,
    errors: plan.errors,
    ...(plan.handlers ? { handlers: plan.handlers } : {}),
    ...extra,
  };
}

export function renderPlanJson(plan: Plan, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(planToJson(plan, extra), null, 2) + '\n';
}
