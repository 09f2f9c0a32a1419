// --validate: load and check the desired state; touch no host.

import { desiredDigest } from '../model/desired-digest.js';
import { guardrailNotes } from '../model/guardrails.js';
import type { CliArgs } from './args.js';
import { DEFAULT_DESIRED, loadDesired } from './context.js';
import type { Output } from './output.js';

export async function validateCommand(args: CliArgs, io: Output): Promise<number> {
  const desired = await loadDesired(args, io.err);
  const n = desired.resources.length;
  // Warnings about what the desired state may do as root; valid all the same (exit 0).
  const warnings = guardrailNotes(desired.resources);
  // What --desired-digest takes to run on exactly this desired state.
  const digest = desiredDigest(args.desired ?? DEFAULT_DESIRED);
  if (args.format === 'json') {
    io.out(JSON.stringify({ valid: true, files: desired.files, resources: n, digest, warnings }, null, 2) + '\n');
  } else {
    io.out(`valid: ${desired.files.join(', ')} (${n} resource${n === 1 ? '' : 's'})\ndigest: ${digest}\n`);
    for (const w of warnings) io.out(`warning: ${w.resource}: ${w.message}\n`);
  }
  return 0;
}
