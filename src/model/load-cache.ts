// A cache of the loaded desired state (what loadDesiredState returns), like
// Python's .pyc: a run whose inputs did not change skips YAML parsing,
// schema validation and normalising, and never loads the yaml and ajv code.
//
// A wrong hit would make root apply the wrong state, so:
// - the key is a sha256 over the tool version, the build id of the code, the
//   --desired and --source paths (as given and absolute) and every
//   desired-state file's path and text, in load order; the key stored is made
//   from the texts the load itself read, never from a second read;
// - every source file the load read (`source:` of file resources) is read
//   again on a hit, through the same function, and compared by sha256;
// - only successful loads whose value survives JSON unchanged are stored;
// - the cache lives on the running machine (never under a --root other than
//   /), in a directory that, with every directory above it, is owned by the
//   running user or root and not group- or world-writable; entries are 0600,
//   written temp+fsync+rename. Anything odd is a miss, never an error.

import { createHash } from 'node:crypto';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDirFor, insideTargetRoot, readBuildIdFile, readTrustedCacheFile, trustedCacheDir, writeTrustedCacheFile } from '../host/cache-dir.js';
import { listLocal, packageRoot, readLocalText, statLocal } from '../host/local-files.js';
import type { LoadOptions } from './load.js';
import type { SourceRootOption } from './normalise.js';
import { readSourceFile } from './source-files.js';
import type { DesiredState } from './types.js';

/** Bumped when the entry layout changes. */
const FORMAT = 1;
/** Larger loaded states are not cached (nor read back). */
export const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
/** Entries kept; the oldest beyond this are removed after a write. */
const MAX_ENTRIES = 32;
const SUFFIXES = ['.yaml', '.yml'];
/**
 * The loader's own limit (MAX_FILE_BYTES in parse-yaml.ts, not imported: it
 * would load yaml). A larger file is never read here; if the two drift apart
 * the result is a miss, never a wrong hit.
 */
const MAX_INPUT_BYTES = 1024 * 1024;

export interface LoadCache {
  dir: string;
  /** Identifies the code that loads: any change to it must change this. */
  buildId: string;
  version: string;
  /** The running user: entries and directories must be theirs or root's. */
  uid: number;
}

interface SourceRecord {
  root: string;
  rel: string;
  from: string;
  sha256: string;
}

interface Entry {
  format: number;
  key: string;
  sources: SourceRecord[];
  value: DesiredState;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The build id written next to the code by scripts/build-id.mjs (dist/src
 * and dist/bundle), or null: without one nothing is cached. The tsc build's
 * file says `staleIfOlder`: a tsc run without the build-id step rewrites the
 * code but not the id, so an id older than this module means none.
 */
export function findBuildId(moduleUrl: string = import.meta.url): string | null {
  let here: string;
  try {
    here = fileURLToPath(moduleUrl);
  } catch {
    return null;
  }
  // This module sits in dist/src/model/ (the id is one up) or is part of dist/bundle/reconcile-code.cjs (beside it).
  for (const dir of [path.dirname(here), path.dirname(path.dirname(here))]) {
    const found = readBuildIdFile(dir);
    if (found === undefined) continue;
    if (found === null) return null;
    try {
      if (found.staleIfOlder && statSync(path.join(dir, 'build-id.json')).mtimeMs < statSync(here).mtimeMs) return null;
    } catch {
      return null;
    }
    return found.id;
  }
  return null;
}

/** The cache for this run, or null: RECONCILE_NO_CACHE set, no build id, or a cache dir inside the target root. */
export function openLoadCache(targetRoot: string, env: NodeJS.ProcessEnv = process.env, buildId = findBuildId()): LoadCache | null {
  if (env.RECONCILE_NO_CACHE && env.RECONCILE_NO_CACHE !== '0') return null;
  if (buildId === null) return null;
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const dir = cacheDirFor(env, uid);
  if (insideTargetRoot(dir, targetRoot)) return null;
  let version: string;
  try {
    version = (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
  return { dir, buildId, version, uid };
}

/** The load, through the cache when there is one. Errors come from the load itself, never from the cache. */
export async function loadDesiredCached(desired: string, opts: SourceRootOption, cache: LoadCache | null): Promise<DesiredState> {
  if (cache === null) return coldLoad(desired, opts);
  const texts = await readInputs(desired).catch(() => null);
  if (texts !== null) {
    const hit = await lookup(cache, keyOf(cache, desired, opts, texts)).catch(() => null);
    if (hit !== null) return hit;
  }
  const read: { file: string; text: string }[] = [];
  const sources: SourceRecord[] = [];
  const value = await coldLoad(desired, {
    ...opts,
    onDesiredText: (file, text) => read.push({ file, text }),
    onSourceRead: (s) => sources.push({ root: s.root, rel: s.rel, from: s.from, sha256: sha256(s.text) }),
  });
  await store(cache, desired, opts, read, sources, value).catch(() => undefined);
  return value;
}

/** The uncached load; its modules (yaml, ajv) are loaded only here. */
async function coldLoad(desired: string, opts: LoadOptions): Promise<DesiredState> {
  const { loadDesiredState } = await import('./load.js');
  return loadDesiredState(desired, opts);
}

/**
 * The files a load of `desired` reads and their texts, as the loader finds
 * them; null when anything is unusual (the load then reports it).
 */
async function readInputs(desired: string): Promise<{ file: string; text: string }[] | null> {
  const st = await statLocal(desired);
  if (st === null) return null;
  const files = st.isDirectory ? await listLocal(desired, SUFFIXES) : [desired];
  const out = [];
  for (const file of files) {
    const fst = await statLocal(file);
    if (fst === null || !fst.isFile || fst.size > MAX_INPUT_BYTES) return null;
    out.push({ file, text: await readLocalText(file) });
  }
  return out;
}

export function keyOf(cache: LoadCache, desired: string, opts: SourceRootOption, texts: { file: string; text: string }[]): string {
  const source = opts.sourceRoot;
  return sha256(
    JSON.stringify({
      format: FORMAT,
      version: cache.version,
      buildId: cache.buildId,
      desired: [desired, path.resolve(desired)],
      source: source === undefined ? null : [source, path.resolve(source)],
      files: texts.map((t) => [t.file, path.resolve(t.file), sha256(t.text)]),
    }),
  );
}

const entryPath = (cache: LoadCache, key: string) => path.join(cache.dir, `${key}.json`);

async function lookup(cache: LoadCache, key: string): Promise<DesiredState | null> {
  if (!trustedCacheDir(cache.dir, cache.uid)) return null;
  // Synchronous: one small local file, on the path of every warm start.
  const bytes = readTrustedCacheFile(entryPath(cache, key), cache.uid, MAX_ENTRY_BYTES);
  if (bytes === undefined) return null;
  const entry = JSON.parse(bytes.toString('utf8')) as Entry;
  const v = entry.value as Partial<DesiredState> | null;
  if (entry.format !== FORMAT || entry.key !== key || !Array.isArray(entry.sources)) return null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.files) || !Array.isArray(v.resources) || !Array.isArray(v.handlers)) return null;
  for (const s of entry.sources) {
    const read = readSourceFile(s.root, s.rel, s.from);
    if (!('text' in read) || sha256(read.text) !== s.sha256) return null;
  }
  return entry.value;
}

async function store(
  cache: LoadCache,
  desired: string,
  opts: SourceRootOption,
  read: { file: string; text: string }[],
  sources: SourceRecord[],
  value: DesiredState,
): Promise<void> {
  // The key must describe exactly what this load read.
  if (read.length !== value.files.length || read.some((r, i) => r.file !== value.files[i])) return;
  if (!isJsonData(value)) return;
  const key = keyOf(cache, desired, opts, read);
  const json = JSON.stringify({ format: FORMAT, key, sources, value } satisfies Entry);
  if (json.length > MAX_ENTRY_BYTES) return;
  if (!writeTrustedCacheFile(entryPath(cache, key), json, cache.uid)) return;
  await prune(cache.dir);
}

/**
 * True when JSON gives back exactly this value: strings, finite numbers
 * (not -0), booleans, null, dense arrays and plain objects of those, with no
 * undefined properties. (Checked by shape, not with isDeepStrictEqual, which
 * also compares prototypes: arrays from fs.readdir under jest's vm are
 * another realm's.)
 */
export function isJsonData(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || !isJsonData(v[i])) return false;
    return Object.keys(v).length === v.length;
  }
  const proto = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null;
  if (proto !== null && (proto.constructor?.name !== 'Object' || Object.getPrototypeOf(proto) !== null)) return false;
  if (Object.getOwnPropertySymbols(v).length > 0 || 'toJSON' in v) return false;
  const keys = Object.keys(v);
  if (Object.getOwnPropertyNames(v).length !== keys.length) return false;
  return keys.every((k) => k !== '__proto__' && isJsonData((v as Record<string, unknown>)[k]));
}

/** Keeps the newest MAX_ENTRIES entries: each edit of the desired state makes a new one. */
async function prune(dir: string): Promise<void> {
  const names = (await fs.readdir(dir)).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
  if (names.length <= MAX_ENTRIES) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await fs.stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => a.t - b.t);
  for (const { n } of dated.slice(0, dated.length - MAX_ENTRIES)) await fs.rm(path.join(dir, n), { force: true });
}
