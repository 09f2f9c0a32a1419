// Reading the operator's own input (desired state, rules) and the tool's
// bundled assets. These live on the running machine, not in the target root,
// so they do not go through Host. Synchronous inside on purpose: a handful of
// small local files, where a thread-pool round trip per call was most of
// their cost at start-up (issue 13); the signatures stay async.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeUtf8Strict } from './strict-utf8.js';

export interface LocalStat {
  isDirectory: boolean;
  isFile: boolean;
  mode: number;
  uid: number;
  size: number;
}

export async function statLocal(p: string): Promise<LocalStat | null> {
  try {
    const st = statSync(p);
    return {
      isDirectory: st.isDirectory(),
      isFile: st.isFile(),
      mode: st.mode & 0o7777,
      uid: st.uid,
      size: st.size,
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The operator's text input, strictly UTF-8 (a bad byte is a located error). */
export async function readLocalText(p: string): Promise<string> {
  return decodeUtf8Strict(readFileSync(p), p);
}

/** Names of the files in a directory ending in one of the suffixes, sorted. */
export async function listLocal(dir: string, suffixes: string[]): Promise<string[]> {
  const names = readdirSync(dir);
  return names
    .filter((n) => suffixes.some((s) => n.endsWith(s)) && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n));
}

let packageRootCache: string | undefined;

/** The directory holding package.json: schema/ and rules/ live there, in src and dist alike. */
export function packageRoot(): string {
  if (packageRootCache) return packageRootCache;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      // Sync on purpose: resolved once per process, before any real work.
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (pkg.name === 'reconcile') return (packageRootCache = dir);
    } catch {
      /* not here; keep climbing */
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the reconcile package root');
    dir = parent;
  }
}

