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
