// Rolling back what a command did: a unit the run enabled is disabled again
// (and one it disabled, enabled). Starting and stopping are not undone (the
// boot-time state is what a rollback restores), nor package installs:
// removing a package can take others with it; each is said in a note.

import type { Host } from '../host/types.js';
import type { Change, Note } from '../plan/types.js';
import { commandFingerprint, isCommandOp } from './command-ops.js';
import type { RunStep } from './history.js';

export interface CommandRollbackOut {
  changes: Change[];
  notes: Note[];
}

export async function planCommandStep(
  host: Host,
  step: RunStep,
  runId: string,
  force: boolean,
  out: CommandRollbackOut,
  conflicts: { target: string; reason: string }[],
  alreadyBefore: string[],
): Promise<void> {
  const op = step.change.op;
  if (!isCommandOp(op)) return;
  const note = (message: string) => out.notes.push({ resource: step.change.resource, level: 'info', target: step.change.target, message });
  if (op.type === 'install-packages') {
    note(`package ${op.names.join(', ')} installed by run ${runId} stays installed; remove it with apt-get remove if it must go`);
    return;
  }
  if (op.start !== undefined) note(`${op.unit} was ${op.start ? 'started' : 'stopped'} by run ${runId}; rollback does not ${op.start ? 'stop' : 'start'} it`);
  if (op.enable === undefined || step.before.type !== 'service') return;
  const now = await commandFingerprint(host, op);
  if (now.type !== 'service') return;
  const wasEnabled = step.before.enabled === 'enabled';
  const isEnabled = now.enabled === 'enabled';
  if (isEnabled === wasEnabled) {
    alreadyBefore.push(op.unit);
    return;
  }
  if (isEnabled !== op.enable) {
    conflicts.push({ target: op.unit, reason: `it is now ${now.enabled}, not as run ${runId} left it` });
    if (!force) return;
  }
  out.changes.push({
    resource: step.change.resource,
    kind: step.change.kind,
    target: op.unit,
    action: 'update',
    summary: `${op.unit}: ${op.enable ? 'disable' : 'enable'} again (as before run ${runId})`,
    attributes: { enabled: { before: now.enabled, after: step.before.enabled } },
    expect: now,
    op: { type: 'service', unit: op.unit, enable: !op.enable },
  });
}
