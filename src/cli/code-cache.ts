// V8's compiled code for the shipped bundle, kept between runs. Node 20 (and
// Debian's 18) compile every function of a script on each start; with V8's
// code cache a run skips parsing and compiling what an earlier run compiled,
// which was most of what `reconcile --plan` cost above `node -e 0` (issue 13).
//
// Two places, tried in this order:
// - shipped: reconcile-code.cache beside the bundle, made by `npm run build`
//   (scripts/build-code-cache.mjs) with the node that built it, and used only
//   by a node with the same V8 version and architecture (its .json says which);
// - per user: made by the first run of any other node, in the load cache's
//   directory (RECONCILE_CACHE_DIR, else /var/cache/reconcile/load as root,
//   else ~/.cache/reconcile/load), named by V8 version, architecture and
//   build id.
//
// V8 checks a cache's version, flags and source length and compiles afresh on
// any mismatch, but it does not verify the bytes of a cache in a release
// build: a cache is code, as trusted as the bundle itself. So a per-user cache
// is read only from a directory that, with every directory above it, is owned
// by the running user or root and not writable by others, and only when the
// file is the user's or root's, 0600-style and not a symlink; it is written
// temp + fsync + rename. RECONCILE_NO_CACHE turns it off (read and write); the
// shipped one is part of the install, like the bundle. Anything odd is a
// miss: the run compiles from source, never fails because of a cache.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDirFor, insideTargetRoot, readBuildIdFile, readTrustedCacheFile, trustedCacheDir, writeTrustedCacheFile } from '../host/cache-dir.js';

/** Larger caches are neither read nor written. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** What a shipped cache was made with: V8 rejects any other. */
export interface CodeCacheStamp {
  v8: string;
  arch: string;
}

export interface CodeCacheChoice {
  /** The cache bytes to try, or undefined: compile from source. */
  data?: Buffer;
  /** Where to write a fresh cache after the run, or null: don't. */
  writeTo: string | null;
}

const stampOfThisNode = (): CodeCacheStamp => ({ v8: process.versions.v8, arch: process.arch });

/** The --root the run was given (either spelling), or '/'. */
function targetRoot(argv: string[]): string {
  let root = '/';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && i + 1 < argv.length) root = argv[++i]!;
    else if (argv[i]!.startsWith('--root=')) root = argv[i]!.slice('--root='.length);
  }
  return root;
}

function readStamp(file: string): CodeCacheStamp | null {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<CodeCacheStamp>;
    return typeof s.v8 === 'string' && typeof s.arch === 'string' ? { v8: s.v8, arch: s.arch } : null;
  } catch {
    return null;
  }
}

/** The shipped cache when made by a V8 like this one, else the user's (when allowed), else none. */
export function chooseCodeCache(bundleDir: string, cacheName: string, argv: string[], env: NodeJS.ProcessEnv = process.env): CodeCacheChoice {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const here = stampOfThisNode();
  const shippedFile = path.join(bundleDir, cacheName);
  const stamp = readStamp(`${shippedFile}.json`);
  if (stamp !== null && stamp.v8 === here.v8 && stamp.arch === here.arch) {
    const data = readTrustedCacheFile(shippedFile, uid, MAX_CACHE_BYTES);
    if (data !== undefined) return { data, writeTo: null };
  }
  if (env.RECONCILE_NO_CACHE && env.RECONCILE_NO_CACHE !== '0') return { writeTo: null };
  const buildId = readBuildIdFile(bundleDir)?.id;
  if (buildId === undefined) return { writeTo: null };
  const dir = cacheDirFor(env, uid);
  if (insideTargetRoot(dir, targetRoot(argv))) return { writeTo: null };
  const file = path.join(dir, `code-v8-${here.v8.replace(/[^0-9A-Za-z.-]/g, '_')}-${here.arch}-${buildId.slice(0, 16)}.cache`);
  const data = trustedCacheDir(dir, uid) ? readTrustedCacheFile(file, uid, MAX_CACHE_BYTES) : undefined;
  return { data, writeTo: file };
}

/** Writes a fresh per-user cache (temp + fsync + rename, 0600) into a trusted directory; false when it did not. */
export function writeUserCodeCache(file: string, data: Buffer): boolean {
  if (data.length === 0 || data.length > MAX_CACHE_BYTES) return false;
  return writeTrustedCacheFile(file, data, typeof process.getuid === 'function' ? process.getuid() : -1);
}
