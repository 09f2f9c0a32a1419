// Errors people are meant to read. The message is one complete paragraph:
// what is wrong, where (file:line:column when there is one), how to fix it.
// The CLI prints it and exits 1; anything else is an internal error.

import type { SourceLocation } from './model/types.js';

export class UserError extends Error {
  constructor(
    message: string,
    readonly location?: SourceLocation,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A path that would leave the root, or a symlink we refuse to follow. */
export class ConfinementError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfinementError';
  }
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** The message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The machine, not reconcile, said no: a full disk, a read-only mount, a denied permission. */
const ENVIRONMENTAL: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (an immutable file, or not root?)',
  EIO: 'input/output error (a failing disk?)',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/**
 * A system error from outside the Host (a report file, the desired state) as
 * one sentence naming the path and the cause; null when it is not one.
 */
export function environmentalMessage(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || !(e.code in ENVIRONMENTAL)) return null;
  const where = e.path !== undefined ? ` ${e.path}` : '';
  const what = e.syscall !== undefined ? `cannot ${e.syscall}${where}` : `cannot act on${where || ' a file'}`;
  return `${what}: ${ENVIRONMENTAL[e.code]} (${e.code}). Fix the cause (free space, remount read-write, permissions) and run the command again.`;
}
