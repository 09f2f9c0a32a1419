// Reading past runs back from their journals: what each run did, who ran
// it, and how it ended. A journal with a start and no end whose process no
// longer holds the lock is an interrupted run.

import type { Host } from '../host/types.js';
import type { Action, Change, Fingerprint } from '../plan/types.js';
import type { BackupRecord } from './backup.js';
import { readJournal, type JournalEntry, type OutcomeStatus } from './journal.js';
import { lockHolderAlive, readOwner } from './lock.js';
import { RUN_ID_PATTERN } from './run-id.js';
import { checkStateDirTrust, stateLayout, stateOwnerUid } from './state-dir.js';

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
  /** Bytes of file copies in the run's backups (as its journal records them). */
  backupBytes: number;
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

/** A run whose journal cannot be trusted or read back: reported, never acted on. */
export interface DamagedRun {
  runId: string;
  reason: string;
}

export type RunRead = { run: RunRecord } | { damaged: DamagedRun } | null;

/** Why a journal file is not one reconcile wrote (owner, mode, type); null when it is. */
async function journalFileProblem(host: Host, file: string): Promise<string | null> {
  const st = await host.lstat(file);
  if (st === null) return null;
  if (st.type !== 'file') return `its journal ${file} is a ${st.type}, not a file`;
  if (st.uid !== stateOwnerUid()) return `its journal ${file} is owned by uid ${st.uid}, not by reconcile's user`;
  if ((st.mode & 0o022) !== 0) return `its journal ${file} is writable by others (mode ${st.mode.toString(8).padStart(4, '0')})`;
  return null;
}

function checkRecords(runId: string, entries: JournalEntry[]): string | null {
  const starts = entries.filter((e) => e.type === 'start');
  if (entries[0]?.type !== 'start' || starts.length !== 1) return 'its journal does not begin with exactly one start record';
  if ((starts[0] as StartEntry).runId !== runId) return `its start record names run ${(starts[0] as StartEntry).runId}, not ${runId}`;
  if (entries.filter((e) => e.type === 'end').length > 1) return 'its journal has more than one end record';
  return null;
}

/**
 * Reads one run's journal; null when there is none or it is empty (a run
 * killed before its first line). A journal that fails the schema or was not
 * written by reconcile makes the run damaged, with the reason.
 */
export async function readRunChecked(host: Host, stateDir: string, runId: string): Promise<RunRead> {
  const layout = stateLayout(stateDir);
  const file = layout.journal(runId);
  const read = async (): Promise<JournalEntry[] | string> => {
    const problem = await journalFileProblem(host, file);
    if (problem !== null) return problem;
    const r = await readJournal((await host.readText(file)) ?? '');
    return 'damage' in r ? `its journal is damaged at ${r.damage}` : (checkRecords(runId, r.entries) ?? r.entries);
  };
  let entries = await read();
  if (typeof entries === 'string') return { damaged: { runId, reason: entries } };
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
    if (typeof entries === 'string') return { damaged: { runId, reason: entries } };
    end = entries.find((e) => e.type === 'end');
    outcome = end && end.type === 'end' ? end.status : 'interrupted';
  }
  const noticed = entries.find((e) => e.type === 'noticed');
  return {
    run: {
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
    },
  };
}

/** Reads one run's journal; null when there is none, it has no start entry, or it is damaged. */
export async function readRun(host: Host, stateDir: string, runId: string): Promise<RunRecord | null> {
  const r = await readRunChecked(host, stateDir, runId);
  return r !== null && 'run' in r ? r.run : null;
}

export interface StateRuns {
  /** Readable runs, oldest first. */
  runs: RunRecord[];
  /** Runs whose journal is damaged or untrusted, by id. */
  damaged: DamagedRun[];
}

/**
 * Every run in the state directory, after checking the state directory can
 * be trusted (a UserError when not). Damaged runs are listed apart.
 */
export async function readStateRuns(host: Host, stateDir: string): Promise<StateRuns> {
  await checkStateDirTrust(host, stateDir);
  const ids = (await host.readdir(stateLayout(stateDir).runs)).filter((n) => RUN_ID_PATTERN.test(n)).sort();
  const runs: RunRecord[] = [];
  const damaged: DamagedRun[] = [];
  for (const id of ids) {
    const r = await readRunChecked(host, stateDir, id);
    if (r === null) continue;
    if ('damaged' in r) damaged.push(r.damaged);
    else runs.push(r.run);
  }
  // Ids sort by the second only; the start time has milliseconds.
  runs.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.runId < b.runId ? -1 : 1));
  return { runs, damaged };
}

/** Every readable run in the state directory, oldest first (damaged ones left out). */
export async function listRuns(host: Host, stateDir: string): Promise<RunRecord[]> {
  return (await readStateRuns(host, stateDir)).runs;
}

export function describeDamaged(d: DamagedRun): string {
  return `run ${d.runId} is damaged and skipped: ${d.reason}. It is never rolled back or acted on; look at it, then move it out of the runs directory.`;
}

/** Whether the run changed anything (or may have: an interrupted step). */
export function changedSomething(run: RunRecord): boolean {
  return run.steps.some((s) => s.status === 'applied' || s.status === 'interrupted' || (s.status === 'failed' && s.began));
}

/** The run a plain --rollback undoes: the latest apply that changed something and is not undone; null when none. */
export function defaultRollbackTarget(runs: RunRecord[]): RunRecord | null {
  const undone = rolledBackBy(runs);
  const candidates = runs.filter(
    (r) => r.operation === 'apply' && r.outcome !== 'running' && changedSomething(r) && (undone.get(r.runId) ?? []).length === 0,
  );
  return candidates.at(-1) ?? null;
}

/**
 * Rollback runs that undid each run, ignoring rollbacks that were
 * themselves undone (a rollback of a rollback puts the run back).
 */
export function rolledBackBy(runs: RunRecord[]): Map<string, string[]> {
  const byTarget = new Map<string, RunRecord[]>();
  for (const r of runs) {
    // Only a finished rollback undoes its run: one that died or failed part way leaves the run to roll back again.
    if (r.operation === 'rollback' && r.rollbackOf && r.outcome === 'converged') {
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

/** Bytes of the file copies a run's backups hold; a path backed up twice (etc/group for two groups) is one copy. */
export function backupBytesOf(run: RunRecord): number {
  return backupBytesOfRecords(run.steps.flatMap((s) => s.backups));
}

export function backupBytesOfRecords(records: BackupRecord[]): number {
  const sizes = new Map<string, number>();
  for (const r of records) if (r.copy !== undefined) sizes.set(r.copy, r.size ?? 0);
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

/** 1536 -> "1.5 KiB": sizes people read. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[u]}`;
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
    backupBytes: backupBytesOf(run),
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
