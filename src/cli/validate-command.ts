// --validate: load and check the desired state; touch no host.

import type { CliArgs } from './args.js';
import { loadDesired } from './context.js';
import type { Output } from './output.js';

export async function validateCommand(args: CliArgs, io: Output): Promise<number> {
  const desired = await loadDesired(args, io.err);
  const n = desired.resources.length;
  if (args.format === 'json') {
    io.out(JSON.stringify({ valid: true, files: desired.files, resources: n }, null, 2) + '\n');
  } else {
    io.out(`valid: ${desired.files.join(', ')} (${n} resource${n === 1 ? '' : 's'})\n`);
  }
  return 0;
}
