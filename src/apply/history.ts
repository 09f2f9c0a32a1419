// Reading past runs back from their journals: what each run did, who ran
// it, and how it ended. A journal with a start and no end whose process no
// longer holds the lock is an interrupted run.

import type { Host } from '../host/types.js';
import type { Action, Change, Fingerprint } from '../plan/types.js';
import type { BackupRecord } from './backup.js';
import { parseJournal, type JournalEntry, type OutcomeStatus } from './journal.js';
import { lockHolderAlive, readOwner } from './lock.js';
import { RUN_ID_PATTERN } from './run-id.js';
import { stateLayout } from './state-dir.js';

export type RunOutcome = 'converged' | 'failed' | 'interrupted' | 'running';

type StartEntry = Extract<JournalEntry, { type: 'start' }>;

/** One change of a run as its journal tells it. */
export interface RunStep {
  seq: number;
  /** False for a change skipped or failed before it touched anything. */
  began: boolean;
  change: Change;
  backups: BackupRecord[];
  before: Fingerprint;
  /** 'interrupted' when the run died after beginning this change. */
  status: OutcomeStatus | 'interrupted';
  message?: string;
  after?: Fingerprint;
}

export interface RunRecord {
  runId: string;
  time: string;
  endTime?: string;
  user: string;
  hostname: string;
  pid: number;
  root: string;
  operation: 'apply' | 'rollback';
  rollbackOf?: string;
  desired: string[];
  outcome: RunOutcome;
  /** An interrupted run that a later run has already reported. */
  noticedBy?: string;
  steps: RunStep[];
}

export interface RunTarget {
  target: string;
  kind: string;
  resource: string;
  action: Action;
  status: RunStep['status'];
  message?: string;
}

/** The JSON form of a run in --history. Field names are a contract: add, never rename. */
export interface RunSummary {
  runId: string;
  time: string;
  endTime: string | null;
  user: string;
  hostname: string;
  operation: 'apply' | 'rollback';
  rollbackOf: string | null;
  /** Rollback runs that undid this one (and were not themselves undone). */
  rolledBackBy: string[];
  outcome: RunOutcome;
  counts: Record<RunStep['status'], number>;
  targets: RunTarget[];
}

function stepsOf(entries: JournalEntry[]): RunStep[] {
  const steps = new Map<number, RunStep>();
  for (const e of entries) {
    if (e.type === 'begin') {
      steps.set(e.seq, { seq: e.seq, began: true, change: e.change, backups: e.backups, before: e.before, status: 'interrupted' });
    } else if (e.type === 'outcome') {
      const step = steps.get(e.seq);
      if (step) {
        step.status = e.status;
        step.message = e.message;
        if (e.after) step.after = e.after;
      } else if (e.change) {
        // Skipped (or failed) before it began: nothing was touched, nothing to back up.
        steps.set(e.seq, { seq: e.seq, began: false, change: e.change, backups: [], before: e.change.expect, status: e.status, message: e.message });
      }
    }
  }
  return [...steps.values()].sort((a, b) => a.seq - b.seq);
}

async function isRunning(host: Host, lockPath: string, runId: string): Promise<boolean> {
  const owner = await readOwner(host, lockPath);
  if (owner === null || owner.runId !== runId) return false;
  // A lock held from another machine cannot be checked: lockHolderAlive counts it as running.
  return lockHolderAlive(owner);
}

/** Reads one run's journal; null when there is none or it has no start entry. */
export async function readRun(host: Host, stateDir: string, runId: string): Promise<RunRecord | null> {
  const layout = stateLayout(stateDir);
  const read = async () => parseJournal((await host.readText(layout.journal(runId))) ?? '');
  let entries = await read();
  const start = entries.find((e): e is StartEntry => e.type === 'start');
  if (!start) return null;
  let end = entries.find((e) => e.type === 'end');
  let outcome: RunOutcome;
  if (end && end.type === 'end') {
    outcome = end.status;
  } else if (await isRunning(host, layout.lock, runId)) {
    outcome = 'running';
  } else {
    // Read again: a run that ended between the first read and the lock check
    // wrote its end before releasing the lock.
    entries = await read();
    end = entries.find((e) => e.type === 'end');
    outcome = end && end.type === 'end' ? end.status : 'interrupted';
  }
  const noticed = entries.find((e) => e.type === 'noticed');
  return {
    runId,
    time: start.time,
    ...(end ? { endTime: end.time } : {}),
    user: start.user,
    hostname: start.hostname,
    pid: start.pid,
    root: start.root,
    operation: start.operation,
    ...(start.rollbackOf ? { rollbackOf: start.rollbackOf } : {}),
    desired: start.desired,
    outcome,
    ...(noticed && noticed.type === 'noticed' ? { noticedBy: noticed.by } : {}),
    steps: stepsOf(entries),
  };
}

/** Every run in the state directory, oldest first. */
export async function listRuns(host: Host, stateDir: string): Promise<RunRecord[]> {
  const ids = (await host.readdir(stateLayout(stateDir).runs)).filter((n) => RUN_ID_PATTERN.test(n)).sort();
  const runs: RunRecord[] = [];
  for (const id of ids) {
    const run = await readRun(host, stateDir, id);
    if (run) runs.push(run);
  }
  // Ids sort by the second only; the start time has milliseconds.
  return runs.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.runId < b.runId ? -1 : 1));
}

/** Whether the run changed anything (or may have: an interrupted step). */
export function changedSomething(run: RunRecord): boolean {
  return run.steps.some((s) => s.status === 'applied' || s.status === 'interrupted' || (s.status === 'failed' && s.began));
}

/**
 * Rollback runs that undid each run, ignoring rollbacks that were
 * themselves undone (a rollback of a rollback puts the run back).
 */
export function rolledBackBy(runs: RunRecord[]): Map<string, string[]> {
  const byTarget = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (r.operation === 'rollback' && r.rollbackOf && r.outcome !== 'running') {
      byTarget.set(r.rollbackOf, [...(byTarget.get(r.rollbackOf) ?? []), r]);
    }
  }
  const memo = new Map<string, string[]>();
  const undone = (id: string, depth: number): string[] => {
    if (memo.has(id)) return memo.get(id)!;
    // Rollback chains are short; the bound only guards against a crafted loop.
    const result =
      depth > 100 ? [] : (byTarget.get(id) ?? []).filter((r) => undone(r.runId, depth + 1).length === 0).map((r) => r.runId);
    memo.set(id, result);
    return result;
  };
  const out = new Map<string, string[]>();
  for (const r of runs) out.set(r.runId, undone(r.runId, 0));
  return out;
}

export function summariseRun(run: RunRecord, undoneBy: string[] = []): RunSummary {
  const counts: Record<RunStep['status'], number> = { applied: 0, skipped: 0, failed: 0, interrupted: 0 };
  for (const s of run.steps) counts[s.status] += 1;
  return {
    runId: run.runId,
    time: run.time,
    endTime: run.endTime ?? null,
    user: run.user,
    hostname: run.hostname,
    operation: run.operation,
    rollbackOf: run.rollbackOf ?? null,
    rolledBackBy: undoneBy,
    outcome: run.outcome,
    counts,
    targets: run.steps.map((s) => ({
      target: s.change.target,
      kind: s.change.kind,
      resource: s.change.resource,
      action: s.change.action,
      status: s.status,
      ...(s.status === 'applied' || s.message === undefined ? {} : { message: s.message }),
    })),
  };
}
