// A file with a validator (`validate: [visudo, -cf, "{}"]`): the new bytes
// are staged beside the target (written atomically, with the final mode and
// owner), the validator runs on the staged file through the Host (inside the
// root, with the root's own tool), and only a zero exit renames it into
// place. Otherwise the staged file is removed and the target is untouched.
// The staged name is a reconcile temp name, so a killed run's leftover is
// cleaned up by the next one; its leading dot keeps sudo and cron from
// reading it meanwhile.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Host, WriteOptions } from '../host/types.js';

const OUTPUT_LIMIT = 2000;

export class ValidationFailed extends Error {}

export async function writeValidated(host: Host, target: string, bytes: Buffer, opts: WriteOptions, validate: string[]): Promise<void> {
  const dir = path.posix.dirname(target);
  const staged = path.posix.join(dir, `.${path.posix.basename(target)}.reconcile-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await host.mkdirp(dir);
  await host.writeFileAtomic(staged, bytes, opts);
  let installed = false;
  try {
    const [command, ...args] = validate.map((a) => a.split('{}').join(staged));
    const r = await host.run(command!, args);
    if (r.notFound || r.exitCode !== 0 || r.timedOut) {
      const output = `${r.stdout}${r.stderr}`.trim().slice(0, OUTPUT_LIMIT) || '(no output)';
      const why = r.notFound ? `${command} is not installed in the root` : r.timedOut ? `${command} timed out` : `${command} exited ${r.exitCode}`;
      throw new ValidationFailed(`${target} not installed: the validator failed (${why}): ${JSON.stringify(output)}. Fix the source and run again; the file on the host is unchanged.`);
    }
    await host.rename(staged, target);
    installed = true;
  } finally {
    if (!installed) await host.unlink(staged).catch(() => undefined);
  }
}
