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
import path from 'node:path';
import { UserError } from '../errors.js';
import { readGroup } from '../host/group-db.js';
import type { FileStat, Host } from '../host/types.js';
import { summarise } from '../plan/build-plan.js';
import type { Action, Change, Fingerprint, Note, Plan, PlanError } from '../plan/types.js';
import { displayContent } from '../kinds/shared/content.js';
import { fingerprintOf, modeString } from '../kinds/shared/fingerprint.js';
import { applyPlan, type ApplyResult } from './apply-plan.js';
import { vouchForRecord, type BackupRecord } from './backup.js';
import { defaultRollbackTarget, describeDamaged, readStateRuns, type DamagedRun, type RunRecord, type RunStep } from './history.js';
import { noticeInterruptedRuns } from './interrupted.js';
import { newRunId, RUN_ID_PATTERN } from './run-id.js';
import { DEFAULT_STATE_DIR, stateLayout, stateOwnerUid } from './state-dir.js';

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
export function chooseRun(runs: RunRecord[], stateDir: string, runId?: string, damaged: DamagedRun[] = []): RunRecord {
  if (runId !== undefined) {
    if (!RUN_ID_PATTERN.test(runId)) {
      throw new UserError(`"${runId}" is not a run id (they look like 20260131T120000Z-1a2b3c). reconcile --history lists the runs.`);
    }
    const bad = damaged.find((d) => d.runId === runId);
    if (bad) throw new UserError(`cannot roll back ${describeDamaged(bad)}`);
    const run = runs.find((r) => r.runId === runId);
    if (!run) {
      throw new UserError(`there is no run ${runId} in ${stateLayout(stateDir).runs}. reconcile --history lists the runs.`);
    }
    return run;
  }
  const run = defaultRollbackTarget(runs);
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
  // Streamed: a large file is hashed, never loaded.
  if (stat?.type === 'file') return { stat, sha: (await host.digestFile(p, stat))?.sha256 ?? sha256(Buffer.alloc(0)) };
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
    case 'restore-file':
      return st?.type === 'file' && st.mode === op.mode && st.uid === op.uid && st.gid === op.gid && s.sha === op.sha256;
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

/** Files up to this size go back inline (write-file, shown as a diff); larger ones are streamed from the copy (restore-file). */
const INLINE_RESTORE_MAX = 1024 * 1024;

/** Refuses a backup record that its copy and .meta.json do not vouch for. */
async function vouched(host: Host, ctx: RestoreContext, r: BackupRecord): Promise<void> {
  const v = await vouchForRecord(host, ctx.backupDir, r, stateOwnerUid());
  if (!v.ok) {
    throw new UserError(
      `the backup of ${r.path} (${r.copy ?? path.posix.join(ctx.backupDir, r.path)}) is missing or damaged: ${v.problem}. ` +
        `Rollback puts back only what reconcile itself backed up, so nothing was changed. Restore ${r.path} by hand or from another backup.`,
    );
  }
}

/** A vouched-for small copy's bytes, checked again as read (they could change after the digest); null for a large one. */
async function inlineBytes(host: Host, r: BackupRecord): Promise<Buffer | null> {
  if (r.copy === undefined || (r.size ?? 0) > INLINE_RESTORE_MAX) return null;
  const bytes = await host.readFile(r.copy);
  if (bytes === null || sha256(bytes) !== r.sha256) {
    throw new UserError(`the backup copy ${r.copy} changed while rollback was reading it (sha256 differs); nothing was changed. Run --rollback again.`);
  }
  return bytes;
}

/** A file's text for a diff; a large one is named by its size, never loaded. */
async function shownContent(host: Host, p: string, st: FileStat): Promise<string | null> {
  if (st.size > INLINE_RESTORE_MAX) return `(${st.size} bytes, too large to show)\n`;
  return displayContent(await host.readFile(p, st));
}

interface RestoreContext {
  runId: string;
  /** This run's own backup directory: the only place its copies may come from. */
  backupDir: string;
}

/**
 * Changes that put `target` (and, for a removed directory, everything under
 * it) back as the backup records say; a path with no record is removed.
 */
async function restorePath(host: Host, step: RunStep, target: string, out: Builder, ctx: RestoreContext): Promise<void> {
  const runId = ctx.runId;
  const base = { resource: step.change.resource, kind: step.change.kind };
  const records = step.backups.filter((r) => r.path === target || r.path.startsWith(target + '/'));
  if (records.length === 0) {
    const st = await host.lstat(target);
    if (st === null) return;
    // A directory a `directory` resource created may hold files put there since: never removed
    // with them. (A tree that a rollback re-created is removed whole, as before.)
    if (step.change.kind === 'directory' && st.type === 'dir' && (await host.readdir(target)).length > 0) {
      out.errors.push({ ...base, target, message: `${target} did not exist before run ${runId}, but it is not empty now: left in place. Remove it by hand if it should go.` });
      return;
    }
    out.changes.push({
      ...base,
      target,
      action: 'delete',
      summary: `remove ${target}: it did not exist before run ${runId}`,
      ...(st?.type === 'file' ? { content: { before: await shownContent(host, target, st), after: null } } : {}),
      expect: fingerprintOf(st),
      op: { type: 'remove', recursive: st.type === 'dir' },
    });
    return;
  }
  for (const r of records) {
    await vouched(host, ctx, r);
    const now = await observe(host, r.path);
    // Already as before (a rollback that died part way restored it): nothing to do.
    if (matchesRecord(now, r)) continue;
    const st = now.stat;
    const expect = fingerprintOf(st);
    const action = actionFor(st, r);
    const owner = `${modeString(r.mode)} ${r.uid}:${r.gid}`;
    switch (r.type) {
      case 'file': {
        if (r.copy === undefined || r.sha256 === undefined) throw new UserError(`the backup of ${r.path} has no copy of its bytes; restore it by hand.`);
        if (st?.type === 'file' && now.sha === r.sha256) {
          // Only the mode or owner differ: put them back in place, as apply changed them
          // (the same inode, and no write into the directory that would change its own fingerprint).
          out.changes.push(attributesBack(base, r, st, expect, runId));
          break;
        }
        const bytes = await inlineBytes(host, r);
        if (bytes === null) {
          out.changes.push({
            ...base,
            target: r.path,
            action,
            summary: `put back ${r.path} as before run ${runId} (${owner}, ${r.size ?? 0} bytes streamed from ${r.copy})`,
            expect,
            op: { type: 'restore-file', from: r.copy, sha256: r.sha256, size: r.size ?? 0, mode: r.mode, uid: r.uid, gid: r.gid, xattrs: r.xattrs ?? {} },
          });
          break;
        }
        const current = st?.type === 'file' ? await shownContent(host, r.path, st) : null;
        out.changes.push({
          ...base,
          target: r.path,
          action,
          summary: `put back ${r.path} as before run ${runId} (${owner})`,
          content: { before: current, after: displayContent(bytes) },
          expect,
          op: { type: 'write-file', contentBase64: bytes.toString('base64'), mode: r.mode, uid: r.uid, gid: r.gid, xattrs: r.xattrs ?? {} },
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
          out.changes.push(attributesBack(base, r, st, expect, runId));
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

async function planGroupStep(
  host: Host,
  step: RunStep,
  runId: string,
  force: boolean,
  out: Builder,
  conflicts: RollbackConflict[],
  alreadyBefore: string[],
  resuming = false,
): Promise<void> {
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
    // A rollback that died between putting the members back and putting them
    // in their former order: finish the order (under --root, as a full rollback would).
    if (resuming && !host.live && entry.members.join(',') !== before.join(',')) {
      out.changes.push({
        resource: step.change.resource,
        kind: step.change.kind,
        target: group,
        action: 'update',
        summary: `group ${group}: members back in their order before run ${runId}`,
        members: { add: [], remove: [] },
        expect: { type: 'group', members: entry.members },
        op: { type: 'group-members', add: [], remove: [], order: [...before] },
      });
      return;
    }
    alreadyBefore.push(`group ${group}`);
    return;
  }
  const asIntended = sameSet(current, intended);
  // A rollback that died part way (gpasswd one member at a time on a live
  // host) leaves each member the run changed as before or as intended.
  const partly = resuming && [...current].every((m) => before.includes(m) || intended.has(m)) && before.filter((m) => intended.has(m)).every((m) => current.has(m));
  if (!asIntended && !partly) {
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
    op: { type: 'group-members', add, remove, ...((asIntended || partly) && !host.live ? { order: [...before] } : {}) },
  });
}

/** What a path-changing step left at one path it governs, intended by the run. */
function intendedAt(step: RunStep, p: string, s: PathState, from: PathState | null): boolean {
  const op = step.change.op;
  if (p === step.change.target && op.type === 'rename-over') {
    // The moved original at the path; its old name is judged on its own (a rollback that died may have restored it).
    const moved = recordFor(step, op.from);
    return moved !== undefined && matchesRecord(s, { ...moved, path: p });
  }
  if (p === step.change.target) return matchesIntended(step, s, from);
  // The original a rename-over moved away, and anything under a removed tree: gone.
  return s.stat === null;
}

/**
 * A state only an interrupted rollback of this run leaves, between two
 * system calls of one change: a node re-created with the backup's type and
 * mode (and link target) but still owned by reconcile, lchown not yet done;
 * or an attribute change with its owner done and its mode not. Accepted only
 * when resuming, so a re-run finishes the restore without --force.
 */
function partiallyRestored(step: RunStep, s: PathState, r: BackupRecord | undefined): boolean {
  const st = s.stat;
  if (r === undefined || st === null || st.type !== r.type) return false;
  if (r.type === 'file' && s.sha !== r.sha256) return false;
  if (r.type === 'symlink' && s.link !== r.linkTarget) return false;
  const ours = st.uid === stateOwnerUid() && st.gid === stateGid();
  if (ours && (r.type === 'symlink' || st.mode === r.mode)) return true;
  const op = step.change.op;
  if (op.type !== 'set-attributes') return false;
  const either = (now: number, before: number, after: number | undefined) => now === before || now === (after ?? before);
  return either(st.mode, r.mode, op.mode) && either(st.uid, r.uid, op.uid) && either(st.gid, r.gid, op.gid);
}

const stateGid = () => (typeof process.getegid === 'function' ? process.getegid() : 0);

/** The paths a step answers for: its target (and a rename's source), what its backups hold under them, and what is there now. */
async function governedPaths(host: Host, step: RunStep, roots: string[]): Promise<string[]> {
  const paths = new Set<string>(roots);
  for (const r of step.backups) if (roots.some((t) => r.path === t || r.path.startsWith(t + '/'))) paths.add(r.path);
  // Entries now under a directory the run removed: a partly restored tree, or something added since.
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 64) return;
    for (const name of await host.readdir(dir)) {
      const child = path.posix.join(dir, name);
      paths.add(child);
      if ((await host.lstat(child))?.type === 'dir') await walk(child, depth + 1);
    }
  };
  // Only a removed tree answers for what is under it; a directory whose mode or owner a run changed does not.
  if (step.change.op.type !== 'remove') return [...paths].sort();
  for (const t of roots) {
    if (recordFor(step, t)?.type === 'dir' && (await host.lstat(t))?.type === 'dir') await walk(t, 0);
  }
  return [...paths].sort();
}

/** A change putting back only a path's mode and owner, in place (same inode), as the backup records them. */
function attributesBack(base: { resource: string; kind: Change['kind'] }, r: BackupRecord, st: FileStat, expect: Fingerprint, runId: string): Change {
  return {
    ...base,
    target: r.path,
    action: 'update',
    summary: `put back ${r.path}'s mode and owner as before run ${runId} (${modeString(r.mode)} ${r.uid}:${r.gid})`,
    attributes: {
      mode: { before: modeString(st.mode), after: modeString(r.mode) },
      owner: { before: `${st.uid}:${st.gid}`, after: `${r.uid}:${r.gid}` },
    },
    expect,
    op: { type: 'set-attributes', mode: r.mode, uid: r.uid, gid: r.gid },
  };
}

async function planPathStep(host: Host, step: RunStep, ctx: PlanContext): Promise<void> {
  const { change } = step;
  const op = change.op;
  const runId = ctx.runId;
  const from = op.type === 'rename-over' ? op.from : null;
  const s = await observe(host, change.target);
  const f = from === null ? null : await observe(host, from);
  const roots = from === null ? [change.target] : [from, change.target];
  const states = new Map<string, PathState>();
  for (const p of await governedPaths(host, step, roots)) states.set(p, p === change.target ? s : p === from ? f! : await observe(host, p));
  const isBefore = (p: string) => matchesRecord(states.get(p)!, recordFor(step, p));
  if ([...states.keys()].every(isBefore)) {
    ctx.alreadyBefore.push(change.target);
    return;
  }
  // As the run left it: every path as intended. Resuming a rollback that
  // died part way: each path as before, as intended, or between two system
  // calls of one restore, which the new rollback finishes.
  const intended = [...states.keys()].every((p) => intendedAt(step, p, states.get(p)!, f));
  const resumable =
    ctx.resuming &&
    [...states.keys()].every(
      (p) => isBefore(p) || intendedAt(step, p, states.get(p)!, f) || partiallyRestored(step, states.get(p)!, recordFor(step, p)),
    );
  if (!intended && !resumable) {
    const odd = [...states.keys()].filter((p) => !isBefore(p) && !intendedAt(step, p, states.get(p)!, f));
    const what = odd.map((p) => (p === change.target ? 'it is now ' : `${p} is `) + describeState(states.get(p)!)).join(', and ');
    ctx.conflicts.push({ target: change.target, reason: `${what}, not as run ${runId} left it` });
    if (!ctx.force) return;
  }
  // A restored original goes back to its old name first (bytes, mode and
  // owner from the backup), then the path gets the wrapper back. Two writes
  // rather than a rename back, so no change of this rollback depends on
  // another having run first: each is checked against the target as it is now.
  if (from !== null) await restorePath(host, step, from, ctx.out, ctx);
  await restorePath(host, step, change.target, ctx.out, ctx);
}

interface PlanContext extends RestoreContext {
  force: boolean;
  /** A rollback of this run died or failed part way: its intermediate states are expected. */
  resuming: boolean;
  out: Builder;
  conflicts: RollbackConflict[];
  alreadyBefore: string[];
}

/**
 * Works out what putting the run back takes; changes nothing. `resuming`:
 * an earlier rollback of this run did not finish (see unfinishedRollbackOf).
 */
export async function planRollback(
  host: Host,
  run: RunRecord,
  force: boolean,
  opts: { stateDir?: string; resuming?: boolean } = {},
): Promise<RollbackPlan> {
  const out: Builder = { changes: [], errors: [], notes: [] };
  const conflicts: RollbackConflict[] = [];
  const alreadyBefore: string[] = [];
  const backupDir = stateLayout(opts.stateDir ?? DEFAULT_STATE_DIR).backups(run.runId);
  const ctx: PlanContext = { runId: run.runId, backupDir, force, resuming: opts.resuming ?? false, out, conflicts, alreadyBefore };
  // Newest first, so a path changed twice ends as it was before the first change.
  for (const step of [...run.steps].reverse()) {
    if (!step.began) continue;
    if (step.change.op.type === 'group-members') {
      await planGroupStep(host, step, run.runId, force, out, conflicts, alreadyBefore, ctx.resuming);
    } else if (isCommandOp(step.change.op)) {
      await planCommandStep(host, step, run.runId, force, out, conflicts, alreadyBefore);
    } else {
      await planPathStep(host, step, ctx);
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

/** Whether a rollback of this run began and did not finish (killed, or some change failed). */
export function unfinishedRollbackOf(runs: RunRecord[], runId: string): boolean {
  return runs.some((r) => r.operation === 'rollback' && r.rollbackOf === runId && (r.outcome === 'interrupted' || r.outcome === 'failed'));
}

/** Plans and carries out the rollback of one run. Throws UserError on conflicts unless force. */
export async function rollbackRun(host: Host, opts: RollbackOptions): Promise<RollbackResult> {
  const { runs, damaged } = await readStateRuns(host, opts.stateDir);
  const run = chooseRun(runs, opts.stateDir, opts.runId, damaged);
  // Report and clean up after interrupted runs first: a rollback of this run
  // killed part way leaves temp files beside the paths it was restoring.
  const noticed = await noticeInterruptedRuns(host, opts.stateDir, newRunId());
  const damageWarnings = [...damaged.map(describeDamaged), ...noticed];
  if (run.outcome === 'running') {
    throw new UserError(`run ${run.runId} is still running (pid ${run.pid} on ${run.hostname}): wait for it to finish, then roll it back.`);
  }
  const resuming = unfinishedRollbackOf(runs, run.runId);
  const rollback = await planRollback(host, run, opts.force, { stateDir: opts.stateDir, resuming });
  if (rollback.conflicts.length > 0 && !opts.force) throw new UserError(conflictMessage(rollback));
  // A rollback that died after its last change still needs a finished run to mark this one rolled back.
  if (rollback.plan.changes.length === 0 && !(resuming && rollback.plan.errors.length === 0)) {
    // Still report (and clean up after) a run killed before it changed anything.
    return { rollback, result: null, warnings: damageWarnings };
  }
  const result = await applyPlan(host, rollback.plan, {
    stateDir: opts.stateDir,
    lockTimeoutSeconds: opts.lockTimeoutSeconds,
    desiredFiles: [],
    operation: 'rollback',
    rollbackOf: run.runId,
    journalEvenIfEmpty: true,
  });
  return { rollback, result, warnings: damageWarnings };
}
