// What the config-trust check needs to know about the operator's own input
// files (on the running machine, not in the target root): the real path
// behind any symlink, and owner and mode bits.

import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';

export interface ConfigStat {
  /** The path with every symlink resolved. */
  real: string;
  /** True when the path given is itself a symlink. */
  isLink: boolean;
  isDirectory: boolean;
  uid: number;
  gid: number;
  /** Permission bits, mode & 0o7777, of the real file. */
  mode: number;
}

/** null when the path does not exist (the loader reports that). */
export async function statConfig(p: string): Promise<ConfigStat | null> {
  try {
    // Synchronous inside, as local-files.ts: a few metadata calls on the running machine.
    const link = lstatSync(p);
    const real = realpathSync(p);
    const st = statSync(real);
    return { real, isLink: link.isSymbolicLink(), isDirectory: st.isDirectory(), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null;
    throw err;
  }
}

/** Names in a directory, sorted; [] when it cannot be read. */
export async function listConfigDir(dir: string): Promise<string[]> {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
