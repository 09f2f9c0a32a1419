// Layout of the state directory (inside the root, default /var/lib/reconcile).

import path from 'node:path';
import { UserError } from '../errors.js';
import { statConfig } from '../host/config-stat.js';
import type { Host } from '../host/types.js';
import { summarise } from '../plan/summary.js';
import type { Change, Plan } from '../plan/types.js';

export const DEFAULT_STATE_DIR = '/var/lib/reconcile';

export interface StateLayout {
  dir: string;
  lock: string;
  backups(runId: string): string;
  run(runId: string): string;
  journal(runId: string): string;
  runs: string;
}

export function stateLayout(dir: string): StateLayout {
  return {
    dir,
    lock: path.posix.join(dir, 'lock'),
    backups: (runId) => path.posix.join(dir, 'backups', runId),
    runs: path.posix.join(dir, 'runs'),
    run: (runId) => path.posix.join(dir, 'runs', runId),
    journal: (runId) => path.posix.join(dir, 'runs', runId, 'journal.jsonl'),
  };
}

/** The owner reconcile expects of everything it wrote: itself (root, in production). */
export function stateOwnerUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

const STICKY = 0o1000;

interface StateProblem {
  path: string;
  what: string;
}

function problemOf(p: string, st: { uid: number; mode: number; isDir: boolean }, isAncestor: boolean, owner: number): StateProblem | null {
  const issues: string[] = [];
  // Ancestors may belong to root even when reconcile runs as another user (tests, a non-root --root image).
  if (st.uid !== owner && !(isAncestor && st.uid === 0)) issues.push(`owned by uid ${st.uid}, not ${owner === 0 ? 'root' : `uid ${owner}`}`);
  // A sticky ancestor (/tmp) lets nobody else rename our entry away; the state dir itself gets no such pass.
  const sticky = isAncestor && st.isDir && (st.mode & STICKY) !== 0;
  if (!sticky && (st.mode & 0o002) !== 0) issues.push('world-writable');
  if (!sticky && (st.mode & 0o020) !== 0) issues.push('group-writable');
  return issues.length === 0 ? null : { path: p, what: `${issues.join(' and ')} (mode ${st.mode.toString(8).padStart(4, '0')})` };
}

/**
 * The state dir decides what --rollback writes as root: its journals name
 * paths, modes and owners, its backups hold the bytes. So it gets the checks
 * config gets: it, runs/ and backups/ are owned by reconcile's user and not
 * writable by others, and so is every directory above it, inside the root
 * and above the root up to the running machine's /. Throws a UserError
 * naming each problem and the fix; a state dir not yet made passes.
 */
export async function checkStateDirTrust(host: Host, stateDir: string): Promise<void> {
  const owner = stateOwnerUid();
  const problems: StateProblem[] = [];
  const layout = stateLayout(stateDir);
  const parts = stateDir.split('/').filter(Boolean);
  const inside = ['/', ...parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/')), layout.runs, path.posix.join(stateDir, 'backups')];
  for (const p of inside) {
    const isAncestor = p.length < stateDir.length && (stateDir === p || stateDir.startsWith(p === '/' ? '/' : p + '/'));
    const st = await host.lstat(p);
    if (st === null) continue;
    const where = host.live ? p : `${p} (in root ${host.root})`;
    if (st.type === 'symlink') {
      if (!isAncestor) {
        problems.push({ path: where, what: 'a symlink (the state directory and its runs/ and backups/ must be real directories)' });
        continue;
      }
      const problem = problemOf(where, { uid: st.uid, mode: 0, isDir: false }, true, owner);
      if (problem) problems.push(problem);
      const target = await host.stat(p);
      if (target !== null) {
        const tp = problemOf(`${where} (its target)`, { uid: target.uid, mode: target.mode, isDir: target.type === 'dir' }, true, owner);
        if (tp) problems.push(tp);
      }
      continue;
    }
    if (st.type !== 'dir') {
      problems.push({ path: where, what: `a ${st.type}, not a directory` });
      continue;
    }
    const problem = problemOf(where, { uid: st.uid, mode: st.mode, isDir: true }, isAncestor, owner);
    if (problem) problems.push(problem);
  }
  // Above the root: whoever can rename the root's parents can swap the whole state dir.
  if (!host.live) {
    for (let d = path.dirname(host.root); ; d = path.dirname(d)) {
      const st = await statConfig(d);
      if (st !== null) {
        const problem = problemOf(d, { uid: st.uid, mode: st.mode, isDir: st.isDirectory }, true, owner);
        if (problem) problems.push(problem);
      }
      if (path.dirname(d) === d) break;
    }
  }
  if (problems.length === 0) return;
  const list = problems.map((p) => `${p.path} is ${p.what}`).join('; ');
  throw new UserError(
    `refusing to use the state directory ${stateDir}: ${list}. Its journals and backups decide what --rollback writes as root, ` +
      'so whoever can change them can act as root; reconcile neither reads nor writes an untrusted state directory. ' +
      `Fix: check nothing in it was planted, then make each of these owned by ${owner === 0 ? 'root' : `uid ${owner}`} and not writable by group or others ` +
      '(chown root DIR && chmod go-w DIR), or pass another --state-dir.',
  );
}

/** Creates what is missing of the state dir, runs/ and backups/, each 0700 (backups hold /etc/gshadow). */
export async function ensureStateDir(host: Host, stateDir: string): Promise<void> {
  for (const dir of [stateDir, stateLayout(stateDir).runs, path.posix.join(stateDir, 'backups')]) {
    if ((await host.lstat(dir)) === null) await host.mkdirp(dir, 0o700);
  }
}

/** Whether a change's target is the state dir, one of its ancestors, or inside it. */
export function touchesStateDir(change: Change, stateDir: string): boolean {
  if (change.op.type === 'group-members') return false;
  const t = path.posix.normalize(change.target).replace(/\/+$/, '') || '/';
  const d = path.posix.normalize(stateDir).replace(/\/+$/, '') || '/';
  const paths = change.op.type === 'rename-over' ? [t, path.posix.normalize(change.op.from)] : [t];
  return paths.some((p) => p === d || d.startsWith(p === '/' ? '/' : p + '/') || p.startsWith(d + '/'));
}

export function stateDirRefusal(target: string, stateDir: string): string {
  return (
    `refusing to change ${target}: it is, contains or lies inside reconcile's state directory ${stateDir} (journals, backups, ` +
    'the lock). Removing or rewriting it would back the state directory up into itself and destroy the record of every run. ' +
    'Leave that path out of the resource (a narrower path or glob), or keep the state elsewhere with --state-dir.'
  );
}

/** At plan time: a change touching the state dir becomes a plan error for its resource; nothing of it is planned. */
export function refuseStateDirTargets(plan: Plan, stateDir: string): Plan {
  const refused = plan.changes.filter((c) => touchesStateDir(c, stateDir));
  if (refused.length === 0) return plan;
  const errors = [...plan.errors, ...refused.map((c) => ({ resource: c.resource, kind: c.kind, target: c.target, message: stateDirRefusal(c.target, stateDir) }))];
  const rest = { changes: plan.changes.filter((c) => !refused.includes(c)), unchanged: plan.unchanged, notes: plan.notes, errors };
  return { ...rest, summary: summarise(rest) };
}
