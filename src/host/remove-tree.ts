// Removing a directory tree by descriptor, as rm -rf does with openat and
// unlinkat: each directory is opened (O_DIRECTORY|O_NOFOLLOW) relative to its
// already-open parent, listed and emptied through its descriptor, so a
// subdirectory swapped for a symlink mid-walk is unlinked as the link it now
// is and never followed; a directory on another mount (a device or a bind
// mount, caught by st_dev and mnt_id) is refused, never entered.
// Node has no openat/unlinkat: /proc/self/fd/N/<name> is their equivalent,
// resolved by the kernel from the open directory N, not from any path.

import { constants as fsc, promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfinementError } from '../errors.js';

interface MountIdentity {
  dev: number;
  mntId: string | null;
}

async function mountIdOf(fd: number): Promise<string | null> {
  const info = await fs.readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '');
  return /^mnt_id:\s*(\d+)/m.exec(info)?.[1] ?? null;
}

/** Removes `name` (a directory) inside the open directory `dirVia`; `insidePath` names it in messages. */
export async function removeTreeAt(dirVia: string, name: string, insidePath: string, procFd: boolean): Promise<void> {
  if (!procFd) {
    // A bare chroot without /proc: no descriptor paths. fs.rm does not follow
    // symlinks inside the tree; this is the best available there.
    await fs.rm(path.join(dirVia, name), { recursive: true, force: false });
    return;
  }
  await removeEntry(dirVia, name, insidePath, null);
}

async function removeEntry(dirVia: string, name: string, shown: string, mount: MountIdentity | null): Promise<void> {
  const entry = path.join(dirVia, name);
  let handle;
  try {
    handle = await fs.open(entry, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Not a directory (now): a file, device node or symlink, unlinked itself.
    if (code === 'ENOTDIR' || code === 'ELOOP') {
      await fs.unlink(entry);
      return;
    }
    throw err;
  }
  try {
    const st = await handle.stat();
    const here: MountIdentity = { dev: st.dev, mntId: await mountIdOf(handle.fd) };
    if (mount !== null && (here.dev !== mount.dev || here.mntId !== mount.mntId)) {
      throw new ConfinementError(
        `refusing to remove ${shown}: it is a mount point (another file system or a bind mount) inside the tree being removed; ` +
          'reconcile never crosses into another mount. What was under it was left alone; unmount it, then run again.',
      );
    }
    const via = `/proc/self/fd/${handle.fd}`;
    for (const child of await fs.readdir(via)) {
      await removeEntry(via, child, `${shown}/${child}`, here);
    }
  } finally {
    await handle.close();
  }
  await fs.rmdir(entry);
}
