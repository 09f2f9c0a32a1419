// Adds to a plan the handlers its changes would notify (and a note for each
// that --root will skip), so every rendering and a saved plan carry them.

import { planHandlers } from '../apply/handlers.js';
import type { Host } from '../host/types.js';
import type { DesiredState, Resource } from '../model/types.js';
import type { Plan, PlannedHandler } from './types.js';

export function withHandlers(host: Host, plan: Plan, desired: DesiredState): Plan {
  const { handlers, notes } = planHandlers(host, plan.changes, notifyMap(desired.resources), desired.handlers);
  if (handlers.length === 0) return plan;
  return { ...plan, notes: [...plan.notes, ...notes], handlers };
}

/** "daemon-reload: systemctl daemon-reload (notified by a, b)", for the text and markdown plans. */
export function handlerLine(h: PlannedHandler): string {
  return `${h.id}: ${h.command.join(' ')} (notified by ${h.notifiedBy.join(', ')})${h.skip ? ` — skipped ${h.skip}` : ''}`;
}

/** resource id -> handler ids it notifies. (Here, not beside the YAML loading of handlers: a plan from the load cache loads no YAML code.) */
function notifyMap(resources: Resource[]): Map<string, string[]> {
  return new Map(resources.filter((r) => r.notify?.length).map((r) => [r.id, r.notify!]));
}
