// Handlers: commands (argv, no shell) that run once at the end of an apply,
// in declaration order, only when a change of a resource that notifies them
// was applied (Ansible's notify/handlers). The plan says which would run;
// apply runs them through the Host, journals each, and a failure fails the
// apply with the command's output. Under --root a handler runs inside the
// root only when it says it can (`runUnderRoot: true`); otherwise it is
// skipped with a note (udevadm, systemctl try-restart need a running system).

import type { Host } from '../host/types.js';
import type { SourceLocation } from '../model/types.js';
import type { Change, Note, PlannedHandler } from '../plan/types.js';
import type { ChangeOutcome } from './apply-plan.js';

export interface HandlerDefinition {
  id: string;
  command: string[];
  runUnderRoot: boolean;
  timeoutSeconds: number;
  source: SourceLocation;
}

export interface HandlerOutcome {
  id: string;
  command: string[];
  status: 'ran' | 'failed' | 'skipped';
  message: string;
  exitCode?: number;
  output?: string;
}

/** The handlers the plan's changes would notify, in declaration order. */
export function planHandlers(
  host: Host,
  changes: Change[],
  notifies: Map<string, string[]>,
  handlers: HandlerDefinition[],
): { handlers: PlannedHandler[]; notes: Note[] } {
  const notes: Note[] = [];
  const planned: PlannedHandler[] = [];
  for (const h of handlers) {
    const notifiedBy = [...new Set(changes.map((c) => c.resource))].filter((r) => notifies.get(r)?.includes(h.id));
    if (notifiedBy.length === 0) continue;
    const skip = !host.live && !h.runUnderRoot ? 'under --root: it needs the running system (set runUnderRoot: true if it can run inside the root)' : undefined;
    planned.push({ id: h.id, command: h.command, timeoutSeconds: h.timeoutSeconds, notifiedBy, ...(skip ? { skip } : {}) });
    if (skip) notes.push({ resource: notifiedBy[0]!, level: 'info', target: `handler ${h.id}`, message: `handler ${h.id} (${h.command.join(' ')}) will be skipped ${skip}` });
  }
  return { handlers: planned, notes };
}

function tail(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/**
 * Runs each planned handler whose notifying resources had a change applied.
 * `record` journals each outcome before the next handler starts.
 */
export async function runHandlers(
  host: Host,
  planned: PlannedHandler[],
  outcomes: ChangeOutcome[],
  record: (o: HandlerOutcome) => Promise<void>,
): Promise<HandlerOutcome[]> {
  const applied = new Set(outcomes.filter((o) => o.status === 'applied').map((o) => o.change.resource));
  const results: HandlerOutcome[] = [];
  for (const h of planned) {
    if (!h.notifiedBy.some((r) => applied.has(r))) continue;
    let outcome: HandlerOutcome;
    if (h.skip !== undefined) {
      outcome = { id: h.id, command: h.command, status: 'skipped', message: `skipped ${h.skip}` };
    } else {
      const [file, ...args] = h.command;
      const r = await host.run(file!, args, { timeoutMs: h.timeoutSeconds * 1000 });
      const output = tail(`${r.stdout}\n${r.stderr}`);
      const ok = r.exitCode === 0 && !r.timedOut;
      const why = r.notFound ? 'command not found' : r.timedOut ? `timed out after ${h.timeoutSeconds} s` : `exit ${r.exitCode}`;
      outcome = {
        id: h.id,
        command: h.command,
        status: ok ? 'ran' : 'failed',
        exitCode: r.exitCode,
        ...(output ? { output } : {}),
        message: ok ? `ran ${h.command.join(' ')}` : `handler ${h.id} (${h.command.join(' ')}) failed (${why})${output ? `:\n${output}` : ''}`,
      };
    }
    await record(outcome);
    results.push(outcome);
  }
  return results;
}
