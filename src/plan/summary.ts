// A plan's counts by action. Its own module: the state-dir code every mode
// loads needs it, and build-plan.ts would bring in every kind with it.

import type { Plan, Summary } from './types.js';

export function summarise(plan: Omit<Plan, 'summary'>): Summary {
  const count = (a: string) => plan.changes.filter((c) => c.action === a).length;
  return {
    create: count('create'),
    update: count('update'),
    delete: count('delete'),
    unchanged: plan.unchanged.length,
    errors: plan.errors.length,
  };
}
