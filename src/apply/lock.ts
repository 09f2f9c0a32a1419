// One apply (or rollback) at a time per root. The lock file records who holds
// it; a lock whose process is gone (same machine) is taken over with a warning.

import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Host } from '../host/types.js';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  runId: string;
}

export interface HeldLock {
  release(): Promise<void>;
  /** Set when a stale lock was taken over. */
  warning?: string;
}

/** True when a process with this pid exists on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the lock now; null when nobody (or the file is unreadable). */
export async function readOwner(host: Host, lockPath: string): Promise<LockOwner | null> {
  try {
    const text = await host.readText(lockPath);
    return text === null ? null : (JSON.parse(text) as LockOwner);
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireLock(host: Host, lockPath: string, runId: string, timeoutSeconds: number): Promise<HeldLock> {
  await host.mkdirp(path.posix.dirname(lockPath), 0o700);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), runId };
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
    const owner = await readOwner(host, lockPath);
    if (owner && owner.host === me.host && !processAlive(owner.pid)) {
      warning = `took over a stale lock: run ${owner.runId} (pid ${owner.pid}, started ${owner.started}) is gone.`;
      await host.unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner
        ? `pid ${owner.pid} on ${owner.host}, run ${owner.runId}, started ${owner.started}`
        : 'an unreadable lock file';
      throw new UserError(
        `another apply holds the lock ${lockPath} (${who}). Wait for it to finish, or pass --lock-timeout SECONDS to wait; if that process is gone from another machine, remove the lock file by hand.`,
      );
    }
    await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
  }
}
