// One apply (or rollback) at a time per root. The lock file records who holds
// it: pid, host, run id, and the process's start time, so that a pid the kernel
// has since given to another process is not taken for the holder. A stale lock
// (holder gone from this machine, or a lock file left empty or unparsable for
// more than 10 s) is taken over with a warning.
//
// There is no "unlink only if it still holds X", so a plain read-then-unlink
// lets two processes that saw the same stale owner both end up holding the
// lock (one removes the other's fresh lock). Instead only the holder of a
// short-lived second lock, <lock>.takeover, may remove someone else's lock, and
// only after re-reading it under that lock and finding the very same stale
// owner. Run ids are unique, so a stale owner, once removed, never reappears
// and cannot be removed twice.

import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { processStartTime } from '../host/process-info.js';
import type { FileStat, Host } from '../host/types.js';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  runId: string;
  /** Start time of pid in clock ticks since boot (/proc/<pid>/stat field 22); absent in older lock files. */
  processStart?: number;
}

export interface HeldLock {
  release(): Promise<void>;
  /** Set when a stale lock was taken over. */
  warning?: string;
}

/** An empty or unparsable lock file older than this was left by an apply that died taking the lock. */
const UNREADABLE_STALE_MS = 10_000;
/**
 * A takeover lock is held for a few file operations. One older than this whose
 * holder is gone (or cannot be told) was left by a process that died holding
 * it, and is removed; a live holder's is never removed, however old.
 */
const TAKEOVER_STALE_MS = 30_000;
/** How long past --lock-timeout we wait for another process that is taking over a stale lock. */
const TAKEOVER_GRACE_MS = 2_000;

/** True when a process with this pid exists on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * False only when the owner is known to be gone: on this machine, and its pid
 * is free or now belongs to a process that started at another time. An owner
 * on another machine cannot be checked and counts as alive.
 */
export async function lockHolderAlive(owner: LockOwner): Promise<boolean> {
  if (owner.host !== os.hostname()) return true;
  if (!processAlive(owner.pid)) return false;
  if (owner.processStart === undefined) return true;
  const now = await processStartTime(owner.pid);
  return now === null || now === owner.processStart;
}

type LockState =
  | { kind: 'missing' }
  | { kind: 'owner'; owner: LockOwner }
  | { kind: 'unreadable'; what: 'empty' | 'not a valid lock'; stat: FileStat };

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner> | null;
    if (typeof v !== 'object' || v === null) return null;
    if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0) return null;
    if (typeof v.host !== 'string' || typeof v.runId !== 'string' || typeof v.started !== 'string') return null;
    if (v.processStart !== undefined && !Number.isSafeInteger(v.processStart)) return null;
    return v as LockOwner;
  } catch {
    return null;
  }
}

async function readLock(host: Host, lockPath: string): Promise<LockState> {
  // Content first, then lstat: if the file is replaced in between, the age is
  // that of the newer file, so an unreadable lock never looks older than it is.
  const text = await host.readText(lockPath);
  const stat = await host.lstat(lockPath);
  if (stat === null) return { kind: 'missing' };
  if (stat.type !== 'file') {
    throw new UserError(
      `the apply lock ${lockPath} is a ${stat.type}, not a lock file, so no apply can take it. Remove it by hand (no apply or rollback uses it in that state).`,
    );
  }
  if (text === null) return { kind: 'missing' };
  if (text.trim() === '') return { kind: 'unreadable', what: 'empty', stat };
  const owner = parseOwner(text);
  return owner ? { kind: 'owner', owner } : { kind: 'unreadable', what: 'not a valid lock', stat };
}

/** Who holds the lock now; null when nobody (or the file is unreadable). */
export async function readOwner(host: Host, lockPath: string): Promise<LockOwner | null> {
  try {
    const state = await readLock(host, lockPath);
    return state.kind === 'owner' ? state.owner : null;
  } catch {
    return null;
  }
}

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;
const ownerText = (o: LockOwner) => `pid ${o.pid} on ${o.host}, run ${o.runId}, started ${o.started}`;
const unreadableText = (s: Extract<LockState, { kind: 'unreadable' }>, now: number) =>
  `${s.what === 'empty' ? 'is empty' : 'does not hold a valid lock (JSON with pid, host, started and runId)'} and was last written ${seconds(now - s.stat.mtimeMs)} ago`;

/** Why the lock's holder is known to be gone; null when it may still be running. */
async function staleReason(state: LockState, now: number): Promise<string | null> {
  if (state.kind === 'owner') {
    const o = state.owner;
    if (await lockHolderAlive(o)) return null;
    const reused = processAlive(o.pid) ? `; pid ${o.pid} now belongs to another process` : '';
    return `run ${o.runId} (pid ${o.pid}, started ${o.started}) is gone${reused}.`;
  }
  if (state.kind === 'unreadable' && now - state.stat.mtimeMs > UNREADABLE_STALE_MS) {
    return `the lock file ${unreadableText(state, now)} (left by an apply that died while taking it).`;
  }
  return null;
}

/** The very same lock file content: same owner, or the same unreadable file. */
function sameLock(a: LockState, b: LockState): boolean {
  if (a.kind === 'owner' && b.kind === 'owner') {
    const [x, y] = [a.owner, b.owner];
    return x.pid === y.pid && x.host === y.host && x.runId === y.runId && x.started === y.started && x.processStart === y.processStart;
  }
  if (a.kind === 'unreadable' && b.kind === 'unreadable') {
    const [x, y] = [a.stat, b.stat];
    return a.what === b.what && x.dev === y.dev && x.ino === y.ino && x.mtimeMs === y.mtimeMs && x.size === y.size;
  }
  return false;
}

type TakeoverResult = { done: 'removed' | 'retry' } | { busy: LockState };

/** Removes the stale lock `seen` if it is still there, under <lock>.takeover. */
async function takeOver(host: Host, lockPath: string, seen: LockState, me: LockOwner): Promise<TakeoverResult> {
  const guard = `${lockPath}.takeover`;
  if (!(await host.createExclusive(guard, JSON.stringify(me) + '\n', 0o600))) {
    const g = await readLock(host, guard);
    if (g.kind === 'missing') return { done: 'retry' };
    const stat = g.kind === 'unreadable' ? g.stat : await host.lstat(guard);
    if (stat === null) return { done: 'retry' };
    const age = Date.now() - stat.mtimeMs;
    const holderAlive = g.kind === 'owner' && (await lockHolderAlive(g.owner));
    if (age > TAKEOVER_STALE_MS && !holderAlive) {
      await host.unlink(guard).catch(ignoreMissing);
      return { done: 'retry' };
    }
    return { busy: g };
  }
  try {
    const now = await readLock(host, lockPath);
    if (!sameLock(now, seen) || (await staleReason(now, Date.now())) === null) return { done: 'retry' };
    await host.unlink(lockPath).catch(ignoreMissing);
    return { done: 'removed' };
  } finally {
    // Ours unless it was removed as stale meanwhile and someone else holds it now.
    const g = await readLock(host, guard).catch(() => ({ kind: 'missing' }) as const);
    if (g.kind === 'owner' && g.owner.runId === me.runId && g.owner.pid === me.pid) await host.unlink(guard).catch(ignoreMissing);
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A process killed while creating the lock (or the takeover lock) leaves its
 * temp file beside it; no journal was started, so nothing else would clean
 * it up. Those of processes that are gone are removed.
 */
async function removeDeadLockTemps(host: Host, lockPath: string): Promise<void> {
  const dir = path.posix.dirname(lockPath);
  const base = path.posix.basename(lockPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const temp = new RegExp(`^\\.${base}(?:\\.takeover)?\\.reconcile-(\\d+)-[0-9a-f]{8}\\.tmp$`);
  for (const name of await host.readdir(dir)) {
    const pid = temp.exec(name)?.[1];
    if (pid !== undefined && !processAlive(Number(pid))) await host.unlink(path.posix.join(dir, name)).catch(() => undefined);
  }
}

export async function acquireLock(host: Host, lockPath: string, runId: string, timeoutSeconds: number): Promise<HeldLock> {
  await host.mkdirp(path.posix.dirname(lockPath), 0o700);
  await removeDeadLockTemps(host, lockPath);
  const start = await processStartTime(process.pid);
  const me: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    started: new Date().toISOString(),
    runId,
    ...(start === null ? {} : { processStart: start }),
  };
  const deadline = Date.now() + timeoutSeconds * 1000;
  let warning: string | undefined;
  for (;;) {
    if (await host.createExclusive(lockPath, JSON.stringify(me) + '\n', 0o600)) {
      return {
        warning,
        release: async () => {
          const owner = await readOwner(host, lockPath);
          if (owner?.pid === me.pid && owner.runId === runId) await host.unlink(lockPath);
        },
      };
    }
    const seen = await readLock(host, lockPath);
    if (seen.kind === 'missing') continue;
    const stale = await staleReason(seen, Date.now());
    if (stale !== null) {
      const r = await takeOver(host, lockPath, seen, me);
      if ('done' in r) {
        if (r.done === 'removed') warning = `took over a stale lock: ${stale}`;
        continue;
      }
      // Another process is taking it over right now: that takes milliseconds.
      if (Date.now() >= deadline + TAKEOVER_GRACE_MS) {
        const who = r.busy.kind === 'owner' ? ` (${ownerText(r.busy.owner)})` : '';
        throw new UserError(
          `the apply lock ${lockPath} is stale (${stale.replace(/\.$/, '')}), and another process${who} has been taking it over for a while (${lockPath}.takeover). Try again in a minute; a ${lockPath}.takeover older than ${TAKEOVER_STALE_MS / 1000} s whose process is gone is removed automatically.`,
        );
      }
      await sleep(20);
      continue;
    }
    if (Date.now() >= deadline) throw new UserError(heldMessage(lockPath, seen, Date.now()));
    await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
  }
}

function heldMessage(lockPath: string, state: LockState, now: number): string {
  const wait = 'or pass --lock-timeout SECONDS to wait for it';
  if (state.kind === 'unreadable') {
    return `the apply lock file ${lockPath} ${unreadableText(state, now)}, so it names no holder: another apply is probably taking the lock right now. Try again in a few seconds, ${wait}; a lock file left like this for more than ${UNREADABLE_STALE_MS / 1000} s is taken over as stale.`;
  }
  const owner = (state as Extract<LockState, { kind: 'owner' }>).owner;
  const remote =
    owner.host === os.hostname()
      ? ''
      : ` That apply runs on another machine (${owner.host}; the root is shared), so this one cannot tell whether it is still alive; if it is gone, remove ${lockPath} by hand.`;
  return `another apply holds the lock ${lockPath} (${ownerText(owner)}). Wait for it to finish, ${wait}.${remote}`;
}
