// The first half of every atomic write: a new file with its full content,
// owner and mode, fsynced, ready to be renamed or linked into place.

import { constants as fsc, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export interface NewFileOptions {
  mode: number;
  uid?: number;
  gid?: number;
  /** Called after the bytes are written (crash tests stop here). */
  afterWrite?: () => Promise<void>;
  /** Called after chown (which drops capabilities), before chmod: carries extended attributes over. */
  beforeMode?: (file: string) => Promise<void>;
}

/** Creates `file`, which must not exist (O_EXCL|O_NOFOLLOW: never through a planted link). Removed again on failure. */
export async function writeNewFile(file: string, data: string | Buffer, opts: NewFileOptions): Promise<void> {
  await fillNewFile(file, (handle) => handle.writeFile(data), opts);
}

/** As writeNewFile, with the bytes written by `fill` (a streamed copy); returns what `fill` returns. */
export async function fillNewFile<T>(file: string, fill: (handle: FileHandle) => Promise<T>, opts: NewFileOptions): Promise<T> {
  const handle = await fs.open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  let filled: T;
  try {
    filled = await fill(handle);
    await opts.afterWrite?.();
    if (opts.uid !== undefined && opts.gid !== undefined) await handle.chown(opts.uid, opts.gid);
    await opts.beforeMode?.(file);
    // Explicitly, after chown (which may clear set-id bits), whatever the umask.
    await handle.chmod(opts.mode);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(file, { force: true });
    throw err;
  }
  await handle.close();
  return filled;
}
