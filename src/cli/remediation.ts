// A finding's fix, as the person running this command should read it: the
// built-in rules are written against the bundled desired-state/ds01.yaml, but
// the state loaded here may live elsewhere (/etc/reconcile/desired-state/),
// and the `reconcile --apply` to copy must act on this run's root.

import type { DesiredState } from '../model/types.js';
import type { CliArgs } from './args.js';
import { withTargetFlags } from './command-line.js';

const BUNDLED = 'desired-state/ds01.yaml';

/** Names the file (and line) that declares the resource the fix mentions, instead of the bundled example. */
export function localiseRemediation(text: string, desired: DesiredState, args: CliArgs): string {
  let out = text;
  if (out.includes(BUNDLED)) {
    const mentioned = [...out.matchAll(/`([a-z0-9._-]+)`/g)].map((m) => m[1]!);
    const declared = desired.resources.find((r) => mentioned.includes(r.id));
    const where = declared
      ? `${declared.source.file}:${declared.source.line}`
      : `your desired state (${desired.files.join(', ')}; it has no such resource yet: copy it from reconcile's ${BUNDLED})`;
    out = out.split(BUNDLED).join(where);
  }
  return withTargetFlags(out, args);
}
