// Apply consumes a plan: under the lock, each change is journaled, backed up,
// carried out and checked. One failure does not stop the others.

import os from 'node:os';
import { errorMessage, UserError } from '../errors.js';
import type { Host } from '../host/types.js';
import { summarise } from '../plan/build-plan.js';
import type { Change, Plan } from '../plan/types.js';
import type { BackupRecord } from './backup.js';
import { backupBytesOfRecords } from './history.js';
import { noticeInterruptedRuns } from './interrupted.js';
import { acquireLock } from './lock.js';
import { invokingUser, Journal, type JournalEntry, type OutcomeStatus } from './journal.js';
import { applyChange, type Outcome } from './operations.js';
import { runHandlers, type HandlerOutcome } from './handlers.js';
import { pruneOldRuns, type PruneResult, type RetentionPolicy } from './retention.js';
import { newRunId } from './run-id.js';
import { checkStateDirTrust, ensureStateDir, stateDirRefusal, stateLayout, touchesStateDir } from './state-dir.js';

export interface ApplyOptions {
  stateDir: string;
  lockTimeoutSeconds: number;
  desiredFiles: string[];
  runId?: string;
  operation?: 'apply' | 'rollback';
  rollbackOf?: string;
  /**
   * Runs under the lock before anything is written (a saved plan's staleness
   * check); throwing stops the apply with nothing changed.
   */
  verifyUnderLock?: () => Promise<void>;
  /** Journal a run with no changes too (a rollback finishing one that died after its last change). */
  journalEvenIfEmpty?: boolean;
  /** Hears of each change before it is carried out (the CLI's progress line on a terminal). */
  onProgress?: (done: number, total: number, target: string) => void;
  /**
   * Plans again once the lock is held, and carries out that plan: the plan
   * given may have been made while another run (a rollback) was half way.
   */
  replan?: () => Promise<Plan>;
  /** Prune old runs under the lock after an apply (never after a rollback); none when unset. */
  retention?: RetentionPolicy;
}

export interface ChangeOutcome extends Outcome {
  change: Change;
}

export interface ApplyResult {
  runId: string;
  outcomes: ChangeOutcome[];
  warnings: string[];
  counts: Record<OutcomeStatus, number>;
  /** Bytes of file copies this run put in its backups. */
  backupBytes: number;
  /** The plan carried out: the one given, or the one made under the lock (replan). */
  plan: Plan;
  /** Handlers that ran (or were skipped) after the changes; a failed one fails the apply. */
  handlers: HandlerOutcome[];
  /** Old runs pruned by the retention policy (only when some were). */
  pruned?: PruneResult;
}

/**
 * The journal could not be written (a full or read-only state dir): a change
 * that is not journaled could not be rolled back, so the run stops before its
 * next change and says what it had done.
 */
function journalStopped(err: unknown, outcomes: ChangeOutcome[], total: number, stateDir: string): UserError {
  const done = outcomes.filter((o) => o.status === 'applied').map((o) => o.change.target);
  const notAttempted = Math.max(0, total - outcomes.length);
  const before =
    outcomes.length === 0
      ? 'Nothing was changed.'
      : `Before it stopped: ${done.length} change(s) applied${done.length ? ` (${done.join(', ')})` : ''}, ` +
        `${outcomes.length - done.length} failed or skipped; ${notAttempted} not attempted. Nothing else was changed.`;
  return new UserError(
    `${errorMessage(err).replace(/\.$/, '')}. The run's journal could not be written, so reconcile stopped before the next change ` +
      `(a change that is not journaled could not be rolled back). ${before} ` +
      `Make room in the state directory ${stateDir} (or make it writable), then run --apply again.`,
  );
}

/** The first plan and at most two more rounds for the resources it could not plan. */
const MAX_ROUNDS = 3;

export async function applyPlan(host: Host, planned: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  const runId = opts.runId ?? newRunId();
  let plan = planned;
  const counts: Record<OutcomeStatus, number> = { applied: 0, skipped: 0, failed: 0 };
  // Nothing to do: no lock, no journal, no state dir. A converged host stays
  // untouched; a run interrupted earlier is still reported.
  if (plan.changes.length === 0 && !opts.journalEvenIfEmpty) {
    return { runId, outcomes: [], warnings: await noticeInterruptedRuns(host, opts.stateDir, runId), counts, backupBytes: 0, plan, handlers: [] };
  }
  const layout = stateLayout(opts.stateDir);
  await checkStateDirTrust(host, opts.stateDir);
  await ensureStateDir(host, opts.stateDir);
  const lock = await acquireLock(host, layout.lock, runId, opts.lockTimeoutSeconds);
  const warnings = lock.warning ? [lock.warning] : [];
  const outcomes: ChangeOutcome[] = [];
  const backedUp: BackupRecord[] = [];
  let handlers: HandlerOutcome[] = [];
  let pruned: PruneResult | undefined;
  try {
    await opts.verifyUnderLock?.();
    if (opts.replan !== undefined) {
      plan = await opts.replan();
      if (plan.changes.length === 0) {
        return { runId, outcomes, warnings: [...warnings, ...(await noticeInterruptedRuns(host, opts.stateDir, runId))], counts, backupBytes: 0, plan, handlers: [] };
      }
    }
    warnings.push(...(await noticeInterruptedRuns(host, opts.stateDir, runId)));
    const journal = await Journal.open(host, layout.journal(runId));
    let journalError: unknown = null;
    // Every record goes through here: once one cannot be written, nothing more is changed.
    const record = async (entry: JournalEntry): Promise<void> => {
      try {
        await journal.write(entry);
      } catch (err) {
        journalError ??= err;
        throw journalStopped(err, outcomes, plan.changes.length, opts.stateDir);
      }
    };
    await record({
      type: 'start',
      runId,
      time: new Date().toISOString(),
      user: invokingUser(),
      hostname: os.hostname(),
      pid: process.pid,
      root: host.root,
      operation: opts.operation ?? 'apply',
      desired: opts.desiredFiles,
      ...(opts.rollbackOf ? { rollbackOf: opts.rollbackOf } : {}),
    });
    const carryOut = async (changes: Change[], total: number): Promise<ChangeOutcome[]> => {
      const done: ChangeOutcome[] = [];
      for (const change of changes) {
        const seq = outcomes.length;
        opts.onProgress?.(seq + 1, total, change.target);
        if (touchesStateDir(change, opts.stateDir)) {
          // Plans are refused this at plan time; a plan built elsewhere is refused here, before any backup.
          const message = stateDirRefusal(change.target, opts.stateDir);
          counts.failed += 1;
          outcomes.push({ change, status: 'failed', message });
          done.push(outcomes.at(-1)!);
          await record({ type: 'outcome', seq, time: new Date().toISOString(), status: 'failed', message, change });
          continue;
        }
        let began = false;
        const outcome = await applyChange(host, change, layout.backups(runId), {
          beforeAct: (backups, before) => {
            began = true;
            backedUp.push(...backups);
            return record({ type: 'begin', seq, time: new Date().toISOString(), change, backups, before });
          },
        });
        // The begin record failed: that change was not made (it comes before acting); stop here.
        if (journalError !== null) throw journalStopped(journalError, outcomes, plan.changes.length, opts.stateDir);
        counts[outcome.status] += 1;
        outcomes.push({ change, ...outcome });
        done.push(outcomes.at(-1)!);
        await record({ type: 'outcome', seq, time: new Date().toISOString(), ...outcome, ...(began ? {} : { change }) });
      }
      return done;
    };
    const recordHandler = (h: HandlerOutcome) => record({ type: 'handler', time: new Date().toISOString(), ...h });
    let round = await carryOut(plan.changes, plan.changes.length);
    handlers = await runHandlers(host, plan.handlers ?? [], round, recordHandler);
    // A resource that could not be planned because something this run
    // installs was missing (a unit whose file or package is listed with it)
    // is planned again once the others applied, in the same run. Each round's
    // handlers run before the next: daemon-reload before a new unit starts.
    let deferred = new Set(plan.errors.map((e) => e.resource));
    for (let n = 1; n < MAX_ROUNDS && opts.replan && deferred.size > 0 && round.some((o) => o.status === 'applied'); n++) {
      const next = await opts.replan();
      const changes = next.changes.filter((c) => deferred.has(c.resource));
      const stillFailing = next.errors.filter((e) => deferred.has(e.resource));
      const merged = { ...plan, changes: [...plan.changes, ...changes], errors: [...plan.errors.filter((e) => !deferred.has(e.resource)), ...stillFailing] };
      plan = { ...merged, summary: summarise(merged), handlers: [...(plan.handlers ?? []), ...(next.handlers ?? [])] };
      deferred = new Set(stillFailing.map((e) => e.resource));
      if (changes.length === 0) break;
      round = await carryOut(changes, plan.changes.length);
      handlers.push(...(await runHandlers(host, next.handlers ?? [], round, recordHandler)));
    }
    if (opts.retention !== undefined && (opts.operation ?? 'apply') === 'apply') {
      try {
        const result = await pruneOldRuns(host, opts.stateDir, opts.retention, runId);
        if (result.runs.length > 0) {
          pruned = result;
          await record({ type: 'pruned', time: new Date().toISOString(), ...result });
        }
      } catch (err) {
        if (journalError !== null) throw err;
        // Housekeeping: the changes are made and journaled; say why it did not happen.
        warnings.push(`old runs were not pruned: ${errorMessage(err)}`);
      }
    }
    const handlerFailed = handlers.some((h) => h.status === 'failed');
    const status = counts.failed === 0 && counts.skipped === 0 && !handlerFailed ? 'converged' : 'failed';
    await record({ type: 'end', time: new Date().toISOString(), status, counts });
  } finally {
    await lock.release();
  }
  return { runId, outcomes, warnings, counts, backupBytes: backupBytesOfRecords(backedUp), plan, handlers, ...(pruned ? { pruned } : {}) };
}
