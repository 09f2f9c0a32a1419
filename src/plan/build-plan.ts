// Probing every resource and diffing it: the plan. Probes only read, so they
// run concurrently; results keep the order of the desired state.

import { errorMessage, UserError } from '../errors.js';
import type { Host } from '../host/types.js';
import type { Resource } from '../model/types.js';
import { handlerFor } from '../resources/registry.js';
import { failedDiff, type DiffResult } from '../resources/handler.js';
import type { Plan, Summary } from './types.js';

async function planResource(host: Host, resource: Resource): Promise<DiffResult> {
  const handler = handlerFor(resource.kind);
  try {
    const observed = await handler.probe(host, resource);
    return handler.diff(resource, observed);
  } catch (err) {
    // One resource that cannot be probed (a refused path, an unreadable file)
    // is an error for that resource, not for the run.
    const known = err instanceof UserError || (err as NodeJS.ErrnoException).code !== undefined;
    return failedDiff(resource, known ? errorMessage(err) : `internal error while probing: ${errorMessage(err)}`);
  }
}

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

export async function buildPlan(host: Host, resources: Resource[]): Promise<Plan> {
  const results = await Promise.all(resources.map((r) => planResource(host, r)));
  const merged = {
    changes: results.flatMap((r) => r.changes),
    unchanged: results.flatMap((r) => r.unchanged),
    notes: results.flatMap((r) => r.notes),
    errors: results.flatMap((r) => r.errors),
  };
  return { ...merged, summary: summarise(merged) };
}
