// Writing a file on the running machine (not in the target root): the
// --prom and --report outputs. Atomic, so node_exporter or a reader never
// sees half a file: temp file in the same directory, fsync, rename, fsync
// the directory. The directory is created when missing.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { writeNewFile } from './new-file.js';

export async function writeLocalFileAtomic(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    await writeNewFile(tmp, data, { mode });
    await fs.rename(tmp, target);
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    throw new UserError(
      `cannot write ${target}: ${e.code ?? ''} ${e.message}. Fix: check that ${dir} is writable by this user (or choose another path), and that the disk is not full.`.replace(
        /\s+/g,
        ' ',
      ),
    );
  }
}
