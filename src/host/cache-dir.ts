// Where reconcile keeps its caches on the running machine (never under
// --root), the checks every cache read and write passes, and the build id
// they key on. A cache decides what root runs or applies, so its directory,
// and every directory above it, must be the running user's or root's and not
// writable by others, and so must each entry.
// Used by the load cache (src/model/load-cache.ts) and V8's code cache
// (src/cli/code-cache.ts, which the launcher loads before anything else:
// so this module is small and synchronous).

import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
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

/** True when `dir` is `root` or inside it, for a --root other than /: the caches are the running machine's, never written into an image. */
export function insideTargetRoot(dir: string, root: string): boolean {
  const r = path.resolve(root);
  return r !== '/' && (dir === r || dir.startsWith(r + path.sep));
}

/** A regular file (not a symlink, not followed), the user's or root's, not writable by others, at most maxBytes; else undefined. */
export function readTrustedCacheFile(file: string, uid: number, maxBytes: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0 || st.size > maxBytes) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `file` 0600 in its directory, made 0700 when missing and only when
 * it passes trustedCacheDir: temp + fsync + rename. The temp name is the
 * process's own (a dead process's leftover with the same pid is removed
 * first). False when it did not write; an error is never the run's.
 */
export function writeTrustedCacheFile(file: string, data: string | Buffer, uid: number): boolean {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trustedCacheDir(dir, uid)) return false;
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The build id in DIR/build-id.json (scripts/build-id.mjs): the id; null
 * when the file is there but not a valid one; undefined when there is none.
 */
export function readBuildIdFile(dir: string): { id: string; staleIfOlder: boolean } | null | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path.join(dir, 'build-id.json'), 'utf8')) as { id?: unknown; staleIfOlder?: unknown };
    return typeof parsed.id === 'string' && HEX64.test(parsed.id) ? { id: parsed.id, staleIfOlder: parsed.staleIfOlder === true } : null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
}
