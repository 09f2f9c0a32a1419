// Retention: old runs (journal and backups) are pruned after an apply, under
// its lock, so the state directory does not grow forever. A run is kept when
// it is among the newest `keepRuns` runs or younger than `keepDays`, whichever
// keeps more. Whatever the policy, these are never pruned: the newest run,
// a running or interrupted one, a damaged one (a person must look at it; it
// is not even read as a run), the run a plain --rollback would undo now, the
// current run, and a run whose journal holds a live `prune: true` create (it
// is how a later plan knows reconcile made that path). A run and the
// rollbacks of it (and of those) go together or not at all: pruning a
// finished rollback alone would make its run look not rolled back, and the
// default --rollback would undo it a second time.

import path from 'node:path';
import type { Host } from '../host/types.js';
import { pruneClaims } from '../plan/prune.js';
import { backupBytesOf, defaultRollbackTarget, readStateRuns, type RunRecord } from './history.js';
import { RUN_ID_PATTERN } from './run-id.js';
import { stateLayout } from './state-dir.js';

export interface RetentionPolicy {
  keepRuns: number;
  keepDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepRuns: 20, keepDays: 30 };

export interface PruneResult {
  /** Run ids removed, oldest first. */
  runs: string[];
  /** Bytes of the file copies their backups held (file sizes, as journaled). */
  bytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Runs linked by rollbackOf (a run and its rollbacks) share one group id. */
function groupsOf(runs: RunRecord[]): Map<string, string> {
  const parent = new Map(runs.map((r) => [r.runId, r.runId]));
  const find = (id: string): string => {
    let at = id;
    // Bounded: a crafted journal could make a loop.
    for (let hops = 0; parent.get(at) !== at && hops < 10_000; hops++) at = parent.get(at)!;
    return at;
  };
  for (const r of runs) {
    if (r.rollbackOf !== undefined && parent.has(r.rollbackOf)) parent.set(find(r.runId), find(r.rollbackOf));
  }
  return new Map(runs.map((r) => [r.runId, find(r.runId)]));
}

/** The runs (oldest first, as readStateRuns lists them) the policy lets go; pure. */
export function runsToPrune(runs: RunRecord[], policy: RetentionPolicy, now: Date, currentRunId: string): RunRecord[] {
  const keep = new Set<string>();
  runs.slice(-Math.max(1, policy.keepRuns)).forEach((r) => keep.add(r.runId));
  for (const r of runs) {
    const age = now.getTime() - Date.parse(r.time);
    // An unparsable time is never "old".
    if (!(age > policy.keepDays * DAY_MS)) keep.add(r.runId);
    if (r.outcome === 'running' || r.outcome === 'interrupted' || r.runId === currentRunId) keep.add(r.runId);
  }
  const target = defaultRollbackTarget(runs);
  if (target !== null) keep.add(target.runId);
  for (const claim of pruneClaims(runs).values()) {
    keep.add(claim.runId);
    keep.add(claim.stepRunId);
  }
  const group = groupsOf(runs);
  const keptGroups = new Set([...keep].map((id) => group.get(id)));
  return runs.filter((r) => !keptGroups.has(group.get(r.runId)));
}

/**
 * Prunes what the policy lets go: each run's backups first, then its
 * journal (a crash in between leaves a journal whose backups are gone,
 * never backups no journal accounts for). Backup directories of runs that
 * no longer have a journal (an earlier prune that died) go too. Trees are
 * removed through the Host (by descriptor, atomically renamed away first).
 */
export async function pruneOldRuns(host: Host, stateDir: string, policy: RetentionPolicy, currentRunId: string, now = new Date()): Promise<PruneResult> {
  const layout = stateLayout(stateDir);
  const { runs } = await readStateRuns(host, stateDir);
  const prune = runsToPrune(runs, policy, now, currentRunId);
  let bytes = 0;
  for (const run of prune) {
    bytes += backupBytesOf(run);
    if ((await host.lstat(layout.backups(run.runId))) !== null) await host.removeTree(layout.backups(run.runId));
    await host.removeTree(layout.run(run.runId));
  }
  // Every journal directory, damaged ones included: their backups stay with them.
  const journals = new Set(await host.readdir(layout.runs));
  for (const id of await host.readdir(path.posix.join(stateDir, 'backups'))) {
    if (RUN_ID_PATTERN.test(id) && id !== currentRunId && !journals.has(id)) await host.removeTree(layout.backups(id));
  }
  return { runs: prune.map((r) => r.runId), bytes };
}
