// Rollback: put back what one run changed, from that run's backups. It is a
// plan like any other (write-file, restore-symlink, make-directory,
// set-attributes, remove, group-members), carried out by applyPlan
// under the same lock and journaled as operation 'rollback'.
//
// Each target the run began to change is in one of three states: as the run
// intended (roll it back), as before the run (nothing to do: never applied,
// or already rolled back), or something else: changed since, by a person or
// another tool. Those are refused unless --force, which restores the backup
// over the later change (itself backed up first, so nothing is lost).

import { isCommandOp } from './command-ops.js';
import { planCommandStep } from './rollback-commands.js';
import { createHash } from 'node:crypto';
import { UserError } from '../errors.js';
import { readGroup } from '../host/group-db.js';
import type { FileStat, Host } from '../host/types.js';
import { summarise } from '../plan/build-plan.js';
import type { Action, Change, Note, Plan, PlanError } from '../plan/types.js';
import { displayContent } from '../kinds/shared/content.js';
import { fingerprintOf, modeString } from '../kinds/shared/fingerprint.js';
import { applyPlan, type ApplyResult } from './apply-plan.js';
import type { BackupRecord } from './backup.js';
import { changedSomething, listRuns, rolledBackBy, type RunRecord, type RunStep } from './history.js';
import { noticeInterruptedRuns } from './interrupted.js';
import { newRunId, RUN_ID_PATTERN } from './run-id.js';
import { stateLayout } from './state-dir.js';

export interface RollbackConflict {
  target: string;
  reason: string;
}

export interface RollbackPlan {
  run: RunRecord;
  plan: Plan;
  /** Targets changed since the run; restored only with --force. */
  conflicts: RollbackConflict[];
  /** Targets already as they were before the run. */
  alreadyBefore: string[];
}

export interface RollbackOptions {
  stateDir: string;
  runId?: string;
  force: boolean;
  lockTimeoutSeconds: number;
}

export interface RollbackResult {
  rollback: RollbackPlan;
  /** null when there was nothing to put back. */
  result: ApplyResult | null;
  /** Interrupted earlier runs noticed (when result is null; otherwise in result.warnings). */
  warnings: string[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The run to roll back: the one named, or the latest apply that changed something and is not undone. */
export function chooseRun(runs: RunRecord[], stateDir: string, runId?: string): RunRecord {
  if (runId !== undefined) {
    if (!RUN_ID_PATTERN.test(runId)) {
      throw new UserError(`"${runId}" is not a run id (they look like 20260131T120000Z-1a2b3c). reconcile --history lists the runs.`);
    }
    const run = runs.find((r) => r.runId === runId);
    if (!run) {
      throw new UserError(`there is no run ${runId} in ${stateLayout(stateDir).runs}. reconcile --history lists the runs.`);
    }
    return run;
  }
  const undone = rolledBackBy(runs);
  const candidates = runs.filter(
    (r) => r.operation === 'apply' && r.outcome !== 'running' && changedSomething(r) && (undone.get(r.runId) ?? []).length === 0,
  );
  const run = candidates.at(-1);
  if (!run) {
    throw new UserError(
      `no apply run to roll back in ${stateLayout(stateDir).runs}: none changed anything, or each was rolled back already. ` +
        'reconcile --history lists the runs; name one with reconcile --rollback RUN_ID.',
    );
  }
  return run;
}

interface PathState {
  stat: FileStat | null;
  sha?: string;
  link?: string;
}

async function observe(host: Host, p: string): Promise<PathState> {
  const stat = await host.lstat(p);
  if (stat?.type === 'file') return { stat, sha: sha256((await host.readFile(p)) ?? Buffer.alloc(0)) };
  if (stat?.type === 'symlink') return { stat, link: await host.readlink(p) };
  return { stat };
}

function describeState(s: PathState): string {
  if (s.stat === null) return 'absent';
  if (s.stat.type === 'symlink') return `a symlink to ${s.link}`;
  return `a ${s.stat.type === 'file' ? 'file' : s.stat.type} ${modeString(s.stat.mode)} ${s.stat.uid}:${s.stat.gid}`;
}

/** Whether the path is exactly as the backup record says (absent when there is none). */
function matchesRecord(s: PathState, r: BackupRecord | undefined): boolean {
  if (r === undefined) return s.stat === null;
  if (s.stat === null || s.stat.type !== r.type || s.stat.uid !== r.uid || s.stat.gid !== r.gid) return false;
  if (r.type === 'symlink') return s.link === r.linkTarget;
  if (s.stat.mode !== r.mode) return false;
  return r.type !== 'file' || s.sha === r.sha256;
}

const recordFor = (step: RunStep, p: string) => step.backups.find((r) => r.path === p);

/** Whether a path-changing step's target is as the run left it. */
function matchesIntended(step: RunStep, s: PathState, from: PathState | null): boolean {
  const op = step.change.op;
  const st = s.stat;
  switch (op.type) {
    case 'write-file':
      return (
        st?.type === 'file' &&
        st.mode === op.mode &&
        st.uid === op.uid &&
        st.gid === op.gid &&
        s.sha === sha256(Buffer.from(op.contentBase64, 'base64'))
      );
    case 'set-attributes':
      return (
        st !== null &&
        (op.mode === undefined || st.mode === op.mode) &&
        (op.uid === undefined || st.uid === op.uid) &&
        (op.gid === undefined || st.gid === op.gid)
      );
    case 'remove':
      return st === null;
    case 'rename-over': {
      const moved = recordFor(step, op.from);
      return moved !== undefined && from?.stat === null && matchesRecord(s, { ...moved, path: step.change.target });
    }
    case 'restore-symlink':
      return st?.type === 'symlink' && s.link === op.linkTarget && st.uid === op.uid && st.gid === op.gid;
    case 'make-directory':
      return st?.type === 'dir' && st.mode === op.mode && st.uid === op.uid && st.gid === op.gid;
    case 'group-members':
    case 'service':
    case 'install-packages':
      return false;
  }
}

function actionFor(current: FileStat | null, wanted: BackupRecord | undefined): Action {
  if (wanted === undefined) return 'delete';
  return current === null ? 'create' : 'update';
}

interface Builder {
  changes: Change[];
  errors: PlanError[];
  notes: Note[];
}

async function backupBytes(host: Host, r: BackupRecord): Promise<Buffer> {
  const bytes = r.copy === undefined ? null : await host.readFile(r.copy);
  if (bytes === null || sha256(bytes) !== r.sha256) {
    throw new UserError(
      `the backup of ${r.path} (${r.copy ?? 'no copy recorded'}) is missing or damaged (its sha256 does not match the journal), ` +
        'so it cannot be put back. Restore that file by hand or from another backup.',
    );
  }
  return bytes;
}

/**
 * Changes that put `target` (and, for a removed directory, everything under
 * it) back as the backup records say; a path with no record is removed.
 */
async function restorePath(
  host: Host,
  step: RunStep,
  target: string,
  out: Builder,
  runId: string,
): Promise<void> {
  const base = { resource: step.change.resource, kind: step.change.kind };
  const records = step.backups.filter((r) => r.path === target || r.path.startsWith(target + '/'));
  if (records.length === 0) {
    const st = await host.lstat(target);
    if (st === null) return;
    out.changes.push({
      ...base,
      target,
      action: 'delete',
      summary: `remove ${target}: it did not exist before run ${runId}`,
      ...(st?.type === 'file' ? { content: { before: displayContent(await host.readFile(target)), after: null } } : {}),
      expect: fingerprintOf(st),
      op: { type: 'remove', recursive: st.type === 'dir' },
    });
    return;
  }
  for (const r of records) {
    const st = await host.lstat(r.path);
    const expect = fingerprintOf(st);
    const action = actionFor(st, r);
    const owner = `${modeString(r.mode)} ${r.uid}:${r.gid}`;
    switch (r.type) {
      case 'file': {
        const bytes = await backupBytes(host, r);
        const current = st?.type === 'file' ? await host.readFile(r.path) : null;
        out.changes.push({
          ...base,
          target: r.path,
          action,
          summary: `put back ${r.path} as before run ${runId} (${owner})`,
          content: { before: displayContent(current), after: displayContent(bytes) },
          expect,
          op: { type: 'write-file', contentBase64: bytes.toString('base64'), mode: r.mode, uid: r.uid, gid: r.gid },
        });
        break;
      }
      case 'symlink':
        out.changes.push({
          ...base,
          target: r.path,
          action,
          summary: `put back symlink ${r.path} -> ${r.linkTarget} as before run ${runId}`,
          attributes: { link: { before: null, after: r.linkTarget ?? null } },
          expect,
          op: { type: 'restore-symlink', linkTarget: r.linkTarget ?? '', uid: r.uid, gid: r.gid },
        });
        break;
      case 'dir':
        out.changes.push({
          ...base,
          target: r.path,
          action,
          summary: `put back directory ${r.path} as before run ${runId} (${owner})`,
          expect,
          op: { type: 'make-directory', mode: r.mode, uid: r.uid, gid: r.gid },
        });
        break;
      default:
        // Device nodes, FIFOs, sockets: only their metadata can be put back.
        if (st?.type === r.type) {
          out.changes.push({
            ...base,
            target: r.path,
            action: 'update',
            summary: `put back ${r.path}'s mode and owner as before run ${runId} (${owner})`,
            attributes: {
              mode: { before: st ? modeString(st.mode) : null, after: modeString(r.mode) },
              owner: { before: st ? `${st.uid}:${st.gid}` : null, after: `${r.uid}:${r.gid}` },
            },
            expect,
            op: { type: 'set-attributes', mode: r.mode, uid: r.uid, gid: r.gid },
          });
        } else {
          out.errors.push({
            ...base,
            target: r.path,
            message: `${r.path} was a ${r.type} node before run ${runId} and is gone; reconcile does not re-create nodes. Re-create it by hand (its device number was ${r.rdev ?? 'not recorded'}, mode ${owner}).`,
          });
        }
    }
  }
}

async function planGroupStep(host: Host, step: RunStep, runId: string, force: boolean, out: Builder, conflicts: RollbackConflict[], alreadyBefore: string[]): Promise<void> {
  const op = step.change.op;
  if (op.type !== 'group-members' || step.before.type !== 'group') return;
  const group = step.change.target;
  const entry = await readGroup(host, group);
  if (entry === null) {
    conflicts.push({ target: `group ${group}`, reason: 'the group no longer exists' });
    return;
  }
  const before = step.before.members;
  const intended = new Set([...before, ...op.add].filter((m) => !op.remove.includes(m)));
  const current = new Set(entry.members);
  const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((m) => b.has(m));
  if (sameSet(current, new Set(before))) {
    alreadyBefore.push(`group ${group}`);
    return;
  }
  const asIntended = sameSet(current, intended);
  if (!asIntended) {
    conflicts.push({
      target: `group ${group}`,
      reason: `its members are now ${[...current].join(',') || '(none)'}, not ${[...intended].join(',') || '(none)'} as run ${runId} left them`,
    });
    if (!force) return;
  }
  const add = op.remove.filter((m) => before.includes(m) && !current.has(m));
  const remove = op.add.filter((m) => !before.includes(m) && current.has(m));
  if (add.length === 0 && remove.length === 0) return;
  const parts = [add.length ? `add ${add.join(', ')} back` : '', remove.length ? `remove ${remove.join(', ')} again` : ''].filter(Boolean);
  out.changes.push({
    resource: step.change.resource,
    kind: step.change.kind,
    target: group,
    action: 'update',
    summary: `group ${group}: ${parts.join('; ')} (as before run ${runId})`,
    members: { add, remove },
    expect: { type: 'group', members: entry.members },
    // The exact former order only when nothing else changed the group.
    op: { type: 'group-members', add, remove, ...(asIntended && !host.live ? { order: [...before] } : {}) },
  });
}

async function planPathStep(host: Host, step: RunStep, runId: string, force: boolean, out: Builder, conflicts: RollbackConflict[], alreadyBefore: string[]): Promise<void> {
  const { change } = step;
  const op = change.op;
  const from = op.type === 'rename-over' ? op.from : null;
  const s = await observe(host, change.target);
  const f = from === null ? null : await observe(host, from);
  const beforeNow = matchesRecord(s, recordFor(step, change.target)) && (from === null || matchesRecord(f!, recordFor(step, from)));
  if (beforeNow) {
    alreadyBefore.push(change.target);
    return;
  }
  const intended = matchesIntended(step, s, f);
  if (!intended) {
    const extra = from !== null ? `, and ${from} is ${describeState(f!)}` : '';
    conflicts.push({ target: change.target, reason: `it is now ${describeState(s)}${extra}, not as run ${runId} left it` });
    if (!force) return;
  }
  // A restored original goes back to its old name first (bytes, mode and
  // owner from the backup), then the path gets the wrapper back. Two writes
  // rather than a rename back, so no change of this rollback depends on
  // another having run first: each is checked against the target as it is now.
  if (from !== null) await restorePath(host, step, from, out, runId);
  await restorePath(host, step, change.target, out, runId);
}

/** Works out what putting the run back takes; changes nothing. */
export async function planRollback(host: Host, run: RunRecord, force: boolean): Promise<RollbackPlan> {
  const out: Builder = { changes: [], errors: [], notes: [] };
  const conflicts: RollbackConflict[] = [];
  const alreadyBefore: string[] = [];
  // Newest first, so a path changed twice ends as it was before the first change.
  for (const step of [...run.steps].reverse()) {
    if (!step.began) continue;
    if (step.change.op.type === 'group-members') {
      await planGroupStep(host, step, run.runId, force, out, conflicts, alreadyBefore);
    } else if (isCommandOp(step.change.op)) {
      await planCommandStep(host, step, run.runId, force, out, conflicts, alreadyBefore);
    } else {
      await planPathStep(host, step, run.runId, force, out, conflicts, alreadyBefore);
    }
  }
  // A directory removed whole takes what is under it along: separate changes
  // inside it would only change its mtime and make its own removal skip.
  const gone = out.changes.filter((c) => c.op.type === 'remove' && c.op.recursive).map((c) => c.target + '/');
  out.changes = out.changes.filter((c) => !gone.some((g) => c.target.startsWith(g)));
  for (const t of alreadyBefore) {
    out.notes.push({ resource: '(rollback)', level: 'info', target: t, message: `${t} is already as it was before run ${run.runId}` });
  }
  const partial = { changes: out.changes, unchanged: [], notes: out.notes, errors: out.errors };
  return { run, plan: { ...partial, summary: summarise(partial) }, conflicts, alreadyBefore };
}

export function conflictMessage(rp: RollbackPlan): string {
  const list = rp.conflicts.map((c) => `${c.target} (${c.reason})`).join('; ');
  return (
    `refusing to roll back run ${rp.run.runId}: ${rp.conflicts.length} target${rp.conflicts.length === 1 ? ' has' : 's have'} changed since that run: ${list}. ` +
    `Nothing was changed. Look at ${rp.conflicts.length === 1 ? 'it' : 'them'} first; to put back the state from before run ${rp.run.runId} anyway ` +
    '(the current state is backed up first), run the rollback again with --force.'
  );
}

/** Plans and carries out the rollback of one run. Throws UserError on conflicts unless force. */
export async function rollbackRun(host: Host, opts: RollbackOptions): Promise<RollbackResult> {
  const run = chooseRun(await listRuns(host, opts.stateDir), opts.stateDir, opts.runId);
  if (run.outcome === 'running') {
    throw new UserError(`run ${run.runId} is still running (pid ${run.pid} on ${run.hostname}): wait for it to finish, then roll it back.`);
  }
  const rollback = await planRollback(host, run, opts.force);
  if (rollback.conflicts.length > 0 && !opts.force) throw new UserError(conflictMessage(rollback));
  if (rollback.plan.changes.length === 0) {
    // Still report (and clean up after) a run killed before it changed anything.
    return { rollback, result: null, warnings: await noticeInterruptedRuns(host, opts.stateDir, newRunId()) };
  }
  const result = await applyPlan(host, rollback.plan, {
    stateDir: opts.stateDir,
    lockTimeoutSeconds: opts.lockTimeoutSeconds,
    desiredFiles: [],
    operation: 'rollback',
    rollbackOf: run.runId,
  });
  return { rollback, result, warnings: [] };
}
