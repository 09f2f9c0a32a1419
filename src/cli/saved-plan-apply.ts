// --apply --plan-file FILE: carry out exactly the reviewed plan. The file is
// trusted like desired state (as root), validated, and must be for this root
// and host; every target is probed again (before and, under the lock, right
// before acting) and any difference refuses the whole apply with nothing
// changed. Afterwards the embedded desired state is planned again to report
// convergence, as --apply does.

import { applyPlan } from '../apply/apply-plan.js';
import { staleMessage, staleTargets } from '../apply/stale-plan.js';
import { UserError } from '../errors.js';
import type { Host } from '../host/types.js';
import { buildPlan } from '../plan/build-plan.js';
import { embeddedResources } from '../plan/embedded-desired.js';
import { readSavedPlan } from '../plan/saved-plan-read.js';
import { hostIdentity, type SavedPlan } from '../plan/saved-plan.js';
import type { Plan } from '../plan/types.js';
import { reportApply, retentionOf } from './apply-command.js';
import type { CliArgs } from './args.js';
import { checkConfigTrust } from './config-trust.js';
import { openHost, stateDirOf } from './context.js';
import type { Output } from './output.js';

/** Refuses a plan made for another root or another machine. */
async function checkSameHost(host: Host, saved: SavedPlan, args: CliArgs, file: string): Promise<void> {
  if (host.root !== saved.root.canonical) {
    throw new UserError(
      `${file} was made for root ${saved.root.canonical} (--root ${saved.root.given}), but this apply is for ${host.root} (--root ${args.root}). ` +
        'Nothing was changed. Fix: pass the --root the plan was made for, or make a plan for this root.',
    );
  }
  const now = await hostIdentity(host);
  const differs: string[] = [];
  if (now.hostname !== saved.host.hostname) differs.push(`hostname ${saved.host.hostname} in the plan, ${now.hostname} here`);
  if (now.machineId !== saved.host.machineId) differs.push(`machine-id ${saved.host.machineId ?? '(none)'} in the plan, ${now.machineId ?? '(none)'} here`);
  if (differs.length > 0) {
    throw new UserError(`${file} was made on another host (${differs.join('; ')}). Nothing was changed. Fix: make the plan on the host it is for.`);
  }
}

async function refuseIfStale(host: Host, saved: SavedPlan): Promise<void> {
  const stale = await staleTargets(host, saved.plan.changes);
  if (stale.length > 0) throw new UserError(staleMessage(stale));
}

export async function savedPlanApplyCommand(args: CliArgs, file: string, io: Output): Promise<number> {
  await checkConfigTrust([file], 'a plan file', { insecure: args.insecureConfig, warn: io.err, suffixes: ['.json'] });
  const saved = await readSavedPlan(file);
  // Loaded before anything is written: an embedded state this reconcile cannot read is refused up front.
  const resources = await embeddedResources(saved.desired.files, saved.desired.sourceRoot);
  const host = await openHost(args);
  await checkSameHost(host, saved, args, file);
  // Checked once before the lock, so a stale plan leaves the root untouched (no lock file, no state dir),
  // and again under the lock, right before acting.
  await refuseIfStale(host, saved);
  const plan = saved.plan as Plan;
  const stateDir = stateDirOf(args);
  const result = await applyPlan(host, plan, {
    stateDir,
    lockTimeoutSeconds: args.lockTimeout,
    desiredFiles: saved.desired.files.map((f) => f.path),
    verifyUnderLock: () => refuseIfStale(host, saved),
    retention: retentionOf(args),
  });
  const after = await buildPlan(host, resources, saved.targets, undefined, stateDir);
  return reportApply(plan, result, after, stateDir, args, io);
}
