// Where reconcile keeps its caches on the running machine (never under
// --root), and the check every cache read and write passes first: a cache
// decides what root runs or applies, so its directory, and every directory
// above it, must be the running user's or root's and not writable by others.
// Used by the load cache (src/model/load-cache.ts) and V8's code cache
// (src/cli/code-cache.ts, which the launcher loads before anything else:
// so this module is small and synchronous).

import { lstatSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the caches live for this user: RECONCILE_CACHE_DIR, else /var/cache as root, else the XDG cache. */
export function cacheDirFor(env: NodeJS.ProcessEnv, uid: number): string {
  if (env.RECONCILE_CACHE_DIR) return path.resolve(env.RECONCILE_CACHE_DIR);
  if (uid === 0) return '/var/cache/reconcile/load';
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'reconcile', 'load');
}

/** Every directory from `dir` up to /, and above its real path, owned by the user or root and not writable by others. */
export function trustedCacheDir(dir: string, uid: number): boolean {
  let real: string;
  try {
    if (!lstatSync(realpathSync.native(dir)).isDirectory()) return false;
    real = realpathSync.native(dir);
  } catch {
    return false;
  }
  for (const start of new Set([dir, real])) {
    for (let d = start, first = true; ; d = path.dirname(d), first = false) {
      let st;
      try {
        st = lstatSync(d);
        if (st.isSymbolicLink()) st = lstatSync(realpathSync.native(d));
      } catch {
        return false;
      }
      if (st.uid !== 0 && st.uid !== uid) return false;
      // A sticky parent (/tmp) lets nobody else rename what is ours; the cache dir itself must be ours alone to write.
      const sticky = !first && (st.mode & 0o1000) !== 0;
      if (!sticky && (st.mode & 0o022) !== 0) return false;
      if (path.dirname(d) === d) break;
    }
  }
  return true;
}
