// The --report JSON file: the --check contract (the plan JSON plus findings,
// checkedAt and root), or { error, checkedAt } when the host could not be
// assessed. --check writes it, and so does --apply --report for the host as
// the apply left it: one writer, so both files are the same format.

import { errorMessage, UserError } from '../errors.js';
import { writeLocalFileAtomic } from '../host/local-write.js';
import type { CliArgs } from './args.js';
import { assessmentJson, type Assessment } from './plan-command.js';

/** What a report says of a run that threw: the message, marked internal unless it is the user's to fix. */
export function reportErrorOf(err: unknown): string {
  const message = errorMessage(err);
  return err instanceof UserError ? message : `internal error: ${message}`;
}

/** Writes the report and returns what it wrote. */
export async function writeCheckReport(file: string, a: Assessment | null, error: string | null, args: CliArgs, nowSeconds: number): Promise<object> {
  const checkedAt = new Date(nowSeconds * 1000).toISOString();
  const report = a ? { ...assessmentJson(a), checkedAt, root: args.root } : { error, checkedAt };
  await writeLocalFileAtomic(file, JSON.stringify(report, null, 2) + '\n', 0o640);
  return report;
}
