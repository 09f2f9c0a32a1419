// Operations carried out by a command rather than a file write: systemctl
// for a service, apt-get for packages. Their "fingerprint" is the tool's own
// answer, probed again before acting (stale = skipped) and after (the result
// must be what was intended). Nothing to back up: the journal's before/after
// is the record, and rollback turns an enable back into a disable.

import type { Host } from '../host/types.js';
import { aptInstall, installedVersions } from '../kinds/package/dpkg.js';
import { activeState, systemctl, unitFileState } from '../kinds/service/systemctl.js';
import type { Change, Fingerprint, Operation } from '../plan/types.js';

export type CommandOperation = Extract<Operation, { type: 'service' | 'install-packages' }>;

export function isCommandOp(op: Operation): op is CommandOperation {
  return op.type === 'service' || op.type === 'install-packages';
}

export async function commandFingerprint(host: Host, op: CommandOperation): Promise<Fingerprint> {
  if (op.type === 'service') return { type: 'service', enabled: await unitFileState(host, op.unit), active: await activeState(host, op.unit) };
  return { type: 'package', version: (await installedVersions(host, op.names))[op.names[0]!] ?? null };
}

async function mustSystemctl(host: Host, args: string[]): Promise<void> {
  const r = await systemctl(host, args);
  if (r.exitCode !== 0) throw new Error(`systemctl ${args.join(' ')} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`);
}

export async function performCommandOp(host: Host, op: CommandOperation): Promise<void> {
  if (op.type === 'install-packages') return aptInstall(host, op.names);
  if (op.enable !== undefined) await mustSystemctl(host, [op.enable ? 'enable' : 'disable', op.unit]);
  if (op.start !== undefined) await mustSystemctl(host, [op.start ? 'start' : 'stop', op.unit]);
}

/** Why the result differs from the intent; null when it matches. */
export function commandInconsistency(change: Change, op: CommandOperation, after: Fingerprint): string | null {
  if (op.type === 'install-packages') {
    return after.type === 'package' && after.version !== null ? null : `package ${change.target} is still not installed`;
  }
  if (after.type !== 'service') return `${op.unit} cannot be probed`;
  if (op.enable === true && after.enabled !== 'enabled') return `${op.unit} is ${after.enabled}, wanted enabled`;
  if (op.enable === false && after.enabled === 'enabled') return `${op.unit} is still enabled`;
  if (op.start === true && after.active !== 'active' && after.active !== 'activating') return `${op.unit} is ${after.active}, wanted active`;
  if (op.start === false && after.active === 'active') return `${op.unit} is still active`;
  return null;
}
