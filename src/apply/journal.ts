// The journal of a run: JSON lines, each appended and fsynced before the
// next step, so a crash leaves a readable record of what was under way.

import type { HandlerOutcome } from './handlers.js';
import os from 'node:os';
import path from 'node:path';
import type { Host } from '../host/types.js';
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
  | ({ type: 'handler'; time: string } & HandlerOutcome);

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

export function parseJournal(text: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // A line torn by a crash mid-append; a later run may have appended after it.
      continue;
    }
  }
  return entries;
}
