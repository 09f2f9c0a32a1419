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

export class DesiredDigestMismatch extends UserError {
  readonly exitCode = 3;
}

export async function checkDesiredDigest(args: CliArgs, warn: (message: string) => void): Promise<void> {
  const expected = args.desiredDigest;
  if (expected === undefined) return;
  const desired = args.desired ?? DEFAULT_DESIRED;
  const nothing = 'Nothing was planned, changed or written (--desired-digest).';
  // An unreadable or untrusted desired state is not the expected one either: the same exit.
  const refused = (err: unknown) => (err instanceof UserError ? new DesiredDigestMismatch(`${err.message} ${nothing}`) : err);
  let actual: string;
  try {
    actual = desiredDigest(desired);
  } catch (err) {
    throw refused(err);
  }
  if (actual !== expected) {
    throw new DesiredDigestMismatch(
      `the desired state at ${desired} is not the expected one: its digest is ${actual}, --desired-digest says ${expected}. ${nothing} ` +
        'Fix: put the reviewed desired state in place (reconcile --validate --desired PATH prints the digest of a copy), or pass the digest of this one.',
    );
  }
  await checkConfigTrust([desired], 'a desired state', { insecure: args.insecureConfig, warn }).catch((err: unknown) => {
    throw refused(err);
  });
}
