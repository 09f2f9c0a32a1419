// Apply consumes a plan: under the lock, each change is journaled, backed up,
// carried out and checked. One failure does not stop the others.

import os from 'node:os';
import type { Host } from '../host/types.js';
import { summarise } from '../plan/build-plan.js';
import type { Change, Plan } from '../plan/types.js';
import type { BackupRecord } from './backup.js';
import { backupBytesOfRecords } from './history.js';
import { noticeInterruptedRuns } from './interrupted.js';
import { acquireLock } from './lock.js';
import { invokingUser, Journal, type OutcomeStatus } from './journal.js';
import { applyChange, type Outcome } from './operations.js';
import { runHandlers, type HandlerOutcome } from './handlers.js';
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
    await journal.write({
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
          await journal.write({ type: 'outcome', seq, time: new Date().toISOString(), status: 'failed', message, change });
          counts.failed += 1;
          outcomes.push({ change, status: 'failed', message });
          done.push(outcomes.at(-1)!);
          continue;
        }
        let began = false;
        const outcome = await applyChange(host, change, layout.backups(runId), {
          beforeAct: (backups, before) => {
            began = true;
            backedUp.push(...backups);
            return journal.write({ type: 'begin', seq, time: new Date().toISOString(), change, backups, before });
          },
        });
        await journal.write({ type: 'outcome', seq, time: new Date().toISOString(), ...outcome, ...(began ? {} : { change }) });
        counts[outcome.status] += 1;
        outcomes.push({ change, ...outcome });
        done.push(outcomes.at(-1)!);
      }
      return done;
    };
    const recordHandler = (h: HandlerOutcome) => journal.write({ type: 'handler', time: new Date().toISOString(), ...h });
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
    const handlerFailed = handlers.some((h) => h.status === 'failed');
    const status = counts.failed === 0 && counts.skipped === 0 && !handlerFailed ? 'converged' : 'failed';
    await journal.write({ type: 'end', time: new Date().toISOString(), status, counts });
  } finally {
    await lock.release();
  }
  return { runId, outcomes, warnings, counts, backupBytes: backupBytesOfRecords(backedUp), plan, handlers };
}
