// Acting on the object that was checked. A path is only a name: between a
// probe and the system call, the name can be swapped for a symlink or for a
// hard link to a file outside the root. So the object is opened once
// (O_PATH|O_NOFOLLOW: neither a symlink's target nor a device's driver is
// opened), checked through its descriptor, and every later read, chmod and
// chown goes through that descriptor's /proc/self/fd link.

import { closeSync, constants as fsc, fstatSync, lstatSync, openSync, promises as fs, readFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { ConfinementError } from '../errors.js';
import type { FileType, ObjectIdentity } from './types.js';

/** Not in fs.constants: open a path without opening the file itself (Linux). */
export const O_PATH = 0o10000000;

export interface HeldObject {
  /** A path that names exactly the held inode (/proc/self/fd/N), or the checked path without /proc. */
  via: string;
  stat: Stats;
  /** False only where /proc is missing (a bare chroot): then `via` is the path itself. */
  byDescriptor: boolean;
  close(): Promise<void>;
}

export type HoldPurpose = 'read' | 'chmod' | 'chown';

export function fileTypeOf(st: Stats): FileType {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'file';
}

/**
 * Opens `name` in the pinned directory `dirVia` and checks it: against
 * `expect` (type, device, inode) when given, and for attribute changes, that a
 * regular file or device node has no other hard link (the change would reach
 * every name of the inode, one of which may be outside the root).
 */
export async function holdObject(
  dirVia: string,
  name: string,
  insidePath: string,
  purpose: HoldPurpose,
  expect: ObjectIdentity | undefined,
  procFd: boolean,
): Promise<HeldObject> {
  const named = path.join(dirVia, name);
  if (!procFd) {
    const stat = await fs.lstat(named);
    checkObject(stat, insidePath, purpose, expect);
    return { via: named, stat, byDescriptor: false, close: async () => undefined };
  }
  const handle = await fs.open(named, O_PATH | fsc.O_NOFOLLOW);
  try {
    const stat = await handle.stat();
    checkObject(stat, insidePath, purpose, expect);
    return { via: `/proc/self/fd/${handle.fd}`, stat, byDescriptor: true, close: () => handle.close() };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * holdObject for a read, then the read, synchronously: the same O_PATH|
 * O_NOFOLLOW open, the same checks, the bytes read through the descriptor's
 * /proc link. A plan reads thousands of small files; a thread-pool round trip
 * and a promise for each of the five system calls per file was most of a
 * converged plan's time. Null for anything but a regular file (reading a
 * device node would talk to its driver; a FIFO would block).
 */
export function readHeldSync(
  dirVia: string,
  name: string,
  insidePath: string,
  expect: ObjectIdentity | undefined,
  procFd: boolean,
): Buffer | null {
  const named = path.join(dirVia, name);
  const fd = procFd ? openSync(named, O_PATH | fsc.O_NOFOLLOW) : null;
  try {
    const stat = fd === null ? lstatSync(named) : fstatSync(fd);
    checkObject(stat, insidePath, 'read', expect);
    if (!stat.isFile()) return null;
    return readFileSync(fd === null ? named : `/proc/self/fd/${fd}`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function checkObject(st: Stats, p: string, purpose: HoldPurpose, expect: ObjectIdentity | undefined): void {
  const type = fileTypeOf(st);
  if (expect !== undefined && (type !== expect.type || st.dev !== expect.dev || st.ino !== expect.ino)) {
    throw new ConfinementError(
      `${p} was replaced after reconcile checked it (it was a ${expect.type}, inode ${expect.ino}; it is now a ${type}, inode ${st.ino}): ` +
        'refused, nothing done to it. Look at who changes it, then run again.',
    );
  }
  const attributeChange = purpose === 'chmod' || purpose === 'chown';
  if (attributeChange && st.nlink > 1 && (type === 'file' || type === 'char' || type === 'block')) {
    const what = purpose === 'chmod' ? 'mode' : 'owner';
    throw new ConfinementError(
      `refusing to change the ${what} of ${p} in place: it has ${st.nlink} hard links, and the change would reach every other name of ` +
        `the same ${type === 'file' ? 'file' : 'device node'}, wherever it is (a hard link to a file outside the root swapped in looks just like this). ` +
        `Nothing was changed. Find the other names (find / -xdev -samefile ${p}, inside the root) and remove them, or replace ${p} with a file of its own.`,
    );
  }
}
