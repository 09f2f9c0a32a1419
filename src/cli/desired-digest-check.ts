// --desired-digest: a run only on exactly the desired state someone reviewed.
// Checked before the mode starts, so a mismatch plans, locks, writes and
// reports nothing, and exits 3, which no other outcome uses: a deploy tool
// (the Ansible role) can tell "put the desired state in place first" from a
// failed run. An untrusted desired state (config-trust) is not the expected
// one either.

import { UserError } from '../errors.js';
import { desiredDigest } from '../model/desired-digest.js';
import type { CliArgs } from './args.js';
import { checkConfigTrust } from './config-trust.js';
import { DEFAULT_DESIRED } from './context.js';

export const DIGEST_MISMATCH_EXIT = 3;

export class DesiredDigestMismatch extends UserError {
  readonly exitCode = DIGEST_MISMATCH_EXIT;
}

export async function checkDesiredDigest(args: CliArgs, expected: string, warn: (message: string) => void): Promise<void> {
  const desired = args.desired ?? DEFAULT_DESIRED;
  const nothing = 'Nothing was planned, changed or written (--desired-digest).';
  let actual: string;
  try {
    actual = desiredDigest(desired);
  } catch (err) {
    if (err instanceof UserError) throw new DesiredDigestMismatch(`${err.message} ${nothing}`);
    throw err;
  }
  if (actual !== expected) {
    throw new DesiredDigestMismatch(
      `the desired state at ${desired} is not the expected one: its digest is ${actual}, --desired-digest says ${expected}. ${nothing} ` +
        'Fix: put the reviewed desired state in place (reconcile --validate --desired PATH prints the digest of a copy), or pass the digest of this one.',
    );
  }
  try {
    await checkConfigTrust([desired], 'a desired state', { insecure: args.insecureConfig, warn });
  } catch (err) {
    if (err instanceof UserError) throw new DesiredDigestMismatch(`${err.message} ${nothing}`);
    throw err;
  }
}
