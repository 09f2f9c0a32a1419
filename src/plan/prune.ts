// Prune: a path that a resource marked `prune: true` created (journaled as
// an applied "create" with `prune: true`) and that no resource declares any
// more is deleted, as Terraform destroys what left its configuration. Only
// what reconcile created and what is still as it left it: a file whose bytes
// or type changed since is someone else's now and stays, with a note.

import { listRuns, type RunRecord, type RunStep } from '../apply/history.js';
import type { Host } from '../host/types.js';
import { fingerprintOf } from '../kinds/shared/fingerprint.js';
import { kindDefinition } from '../kinds/registry.js';
import type { Resource } from '../model/types.js';
import { summarise } from './build-plan.js';
import { sha256 } from './saved-plan.js';
import type { Change, Plan } from './types.js';

/** Marks the creates of `prune: true` resources, so the journal records what may be pruned later. */
export function markPrunable(plan: Plan, resources: Resource[]): Plan {
  const prunable = new Set(resources.filter((r) => r.prune).map((r) => r.id));
  if (prunable.size === 0) return plan;
  // Directories are never pruned: others may have put things in them since.
  const claims = (c: Change) => c.action === 'create' && c.op.type !== 'make-directory' && prunable.has(c.resource);
  return { ...plan, changes: plan.changes.map((c) => (claims(c) ? { ...c, prune: true } : c)) };
}

/** A path a `prune: true` resource created: the create's run, and the step (maybe of a later run) it must still look like. */
export interface PruneClaim {
  change: Change;
  runId: string;
  step: RunStep;
  /** The run of `step` (retention keeps it, and the create's run, while the claim lives). */
  stepRunId: string;
}

/** The live claims in runs (oldest first), by path. */
export function pruneClaims(runs: RunRecord[]): Map<string, PruneClaim> {
  const created = new Map<string, PruneClaim>();
  for (const run of runs) {
    for (const step of run.steps) {
      if (step.status !== 'applied') continue;
      // The latest applied change of a path decides: a later create without prune, or a delete, ends
      // the claim; an update of a claimed path keeps it, and is what the path must still look like.
      const { target, action } = step.change;
      const claim = created.get(target);
      if (action === 'create' && step.change.prune === true) created.set(target, { change: step.change, runId: run.runId, step, stepRunId: run.runId });
      else if (action === 'update' && claim) {
        created.set(target, { change: { ...step.change, resource: claim.change.resource }, runId: claim.runId, step, stepRunId: run.runId });
      } else created.delete(target);
    }
  }
  return created;
}

/** Adds a "delete (no longer declared)" change for each created path no resource declares now. */
export async function withPrune(host: Host, plan: Plan, resources: Resource[], stateDir: string): Promise<Plan> {
  // A partial run (--target) sees only part of the desired state: it never prunes.
  if (plan.partial) return plan;
  const declared = new Set<string>([...plan.changes, ...plan.unchanged].map((c) => c.target));
  for (const r of resources) {
    if (kindDefinition(r.kind).namespace !== 'path') continue;
    for (const t of kindDefinition(r.kind).literalTargets(r)) declared.add(t.target);
  }
  const created = pruneClaims(await listRuns(host, stateDir));
  const changes: Change[] = [];
  const notes = [...plan.notes];
  for (const [target, { change, runId, step }] of created) {
    if (declared.has(target)) continue;
    const st = await host.lstat(target);
    if (st === null) continue;
    const op = change.op;
    const same =
      op.type === 'write-file'
        ? st.type === 'file' && sha256((await host.readFile(target)) ?? Buffer.alloc(0)) === sha256(Buffer.from(op.contentBase64, 'base64'))
        : op.type === 'restore-symlink'
          ? st.type === 'symlink' && (await host.readlink(target)) === op.linkTarget
          : // Any other kind of create: the very object the run left (same type and inode).
            step.after?.type === 'path' && step.after.fileType === st.type && step.after.ino === st.ino;
    if (!same) {
      notes.push({ resource: change.resource, level: 'warning', target, message: `${target} was created by run ${runId} but has changed since; it is no longer declared and is left alone` });
      continue;
    }
    changes.push({
      resource: change.resource,
      kind: change.kind,
      target,
      action: 'delete',
      summary: `delete ${target} (no longer declared; created by run ${runId} through ${change.resource}, prune: true)`,
      expect: fingerprintOf(st),
      op: { type: 'remove', recursive: false },
    });
  }
  if (changes.length === 0 && notes.length === plan.notes.length) return plan;
  const merged = { ...plan, changes: [...plan.changes, ...changes], notes };
  return { ...merged, summary: summarise(merged) };
}
