// Exact pictures of a root directory for before/after comparisons: type,
// mode, owner, group, bytes (sha256), symlink target and device number of
// every entry, so a round trip can be checked byte- and metadata-exact.

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Output } from '../../src/cli/output.js';

export interface EntryPicture {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  sha256?: string;
  link?: string;
  rdev?: number;
}

export type Snapshot = Record<string, EntryPicture>;

function typeOf(st: import('node:fs').Stats): string {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'file';
}

/** Every entry under `root` except those under `exclude` (inside-root paths such as "/var/lib/reconcile"). */
export async function snapshot(root: string, exclude: string[] = ['/var/lib/reconcile']): Promise<Snapshot> {
  const out: Snapshot = {};
  const walk = async (inside: string): Promise<void> => {
    const real = path.join(root, inside);
    const st = await fs.lstat(real);
    const type = typeOf(st);
    const pic: EntryPicture = { type, mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), uid: st.uid, gid: st.gid };
    if (type === 'symlink') {
      pic.link = await fs.readlink(real);
      delete (pic as Partial<EntryPicture>).mode;
    }
    if (type === 'file') pic.sha256 = createHash('sha256').update(await fs.readFile(real)).digest('hex');
    if (type === 'char' || type === 'block') pic.rdev = st.rdev;
    out[inside] = pic;
    if (type === 'dir') {
      for (const name of (await fs.readdir(real)).sort()) {
        const child = path.posix.join(inside, name);
        if (exclude.some((e) => child === e || child.startsWith(e + '/'))) continue;
        await walk(child);
      }
    }
  };
  await walk('/');
  // The root directory's own times change; its mode and owner are compared like any other.
  return out;
}

/** An Output that keeps what a person would have seen. */
export function captureOutput(): Output & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}
