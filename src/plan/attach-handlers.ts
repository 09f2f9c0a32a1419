// Adds to a plan the handlers its changes would notify (and a note for each
// that --root will skip), so every rendering and a saved plan carry them.

import { planHandlers } from '../apply/handlers.js';
import type { Host } from '../host/types.js';
import { notifyMap } from '../model/load-handlers.js';
import type { DesiredState } from '../model/types.js';
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
