// The journal of a run: JSON lines, each appended and fsynced before the
// next step, so a crash leaves a readable record of what was under way.

import type { HandlerOutcome } from './handlers.js';
import os from 'node:os';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import type { Host } from '../host/types.js';
import { schemaValidator } from '../model/schema-validator.js';
import type { Change, Fingerprint } from '../plan/types.js';
import type { BackupRecord } from './backup.js';

export type OutcomeStatus = 'applied' | 'skipped' | 'failed';

export type JournalEntry =
  | {
      type: 'start';
      runId: string;
      time: string;
      user: string;
      hostname: string;
      pid: number;
      root: string;
      operation: 'apply' | 'rollback';
      desired: string[];
      /** For a rollback: the run it undoes. */
      rollbackOf?: string;
    }
  | { type: 'begin'; seq: number; time: string; change: Change; backups: BackupRecord[]; before: Fingerprint }
  | {
      type: 'outcome';
      seq: number;
      time: string;
      status: OutcomeStatus;
      message: string;
      after?: Fingerprint;
      /** The change, when it was skipped before it began (no "begin" entry holds it). */
      change?: Change;
    }
  | { type: 'end'; time: string; status: 'converged' | 'failed'; counts: Record<OutcomeStatus, number> }
  /** Appended to an interrupted run's journal by the run that noticed it, so it is reported once. */
  | { type: 'noticed'; time: string; by: string }
  | ({ type: 'handler'; time: string } & HandlerOutcome)
  /** Old runs this run pruned under the retention policy, and the bytes of file copies their backups held. */
  | { type: 'pruned'; time: string; runs: string[]; bytes: number };

export function invokingUser(): string {
  const sudo = process.env.SUDO_USER;
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry for this uid */
  }
  return sudo && sudo !== user ? `${sudo} (as ${user})` : user;
}

export class Journal {
  constructor(
    private readonly host: Host,
    readonly file: string,
  ) {}

  static async open(host: Host, file: string): Promise<Journal> {
    await host.mkdirp(path.posix.dirname(file), 0o700);
    return new Journal(host, file);
  }

  async write(entry: JournalEntry): Promise<void> {
    await this.host.appendFileSync(this.file, JSON.stringify(entry) + '\n', 0o600);
  }
}

/** A journal's lines, torn lines skipped; no checks (tests and tools). Prefer readJournal. */
export function parseJournal(text: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object') entries.push(value as JournalEntry);
    } catch {
      // A line torn by a crash mid-append; a later run may have appended after it.
      continue;
    }
  }
  return entries;
}

export type JournalRead = { entries: JournalEntry[] } | { damage: string };

function describeSchemaError(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'the record' : e.instancePath;
  return `${where} ${e.message ?? 'is invalid'}`;
}

/**
 * Parses and checks every record against schema/journal.schema.json. A line
 * torn by a crash is allowed only where a crash leaves one: last, or followed
 * only by "noticed" records that later runs appended. Anything else (a
 * `null` line, a forged field) makes the whole run damaged: it is reported
 * and never acted on.
 */
export async function readJournal(text: string): Promise<JournalRead> {
  const validate = await schemaValidator('journal');
  const entries: JournalEntry[] = [];
  let tornAt: number | null = null;
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      tornAt ??= i + 1;
      continue;
    }
    if (!validate(value)) {
      const first = validate.errors?.[0];
      return { damage: `line ${i + 1}: ${first ? describeSchemaError(first) : 'not a journal record'}` };
    }
    const entry = value as JournalEntry;
    if (tornAt !== null && entry.type !== 'noticed') {
      return { damage: `line ${tornAt} is not JSON, and records follow it (a crash only tears the last line)` };
    }
    entries.push(entry);
  }
  return { entries };
}
