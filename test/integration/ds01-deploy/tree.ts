// A path-by-path picture of a root (type, mode, owner, content hash, link
// target) and the difference between two of them. Both roots come from the
// same tarball, so a regular file with the same size and mtime in both was
// written by neither and is not hashed; any other file is.

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileTypeOf } from '../../../src/host/held-object.js';

export interface Entry {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: string;
  owner: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  link?: string;
  rdev?: number;
}

export type Tree = Map<string, Entry>;

const typeOf = (st: import('node:fs').Stats): Entry['type'] => fileTypeOf(st);

/** Every path under `dir` (as seen inside the root), minus `exclude` prefixes. */
export async function snapshot(dir: string, exclude: string[]): Promise<Tree> {
  const out: Tree = new Map();
  const skip = (p: string) => exclude.some((e) => p === e || p.startsWith(e + '/'));
  const walk = async (inside: string): Promise<void> => {
    const st = await fs.lstat(path.join(dir, inside));
    const e: Entry = {
      type: typeOf(st),
      mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
      owner: `${st.uid}:${st.gid}`,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
    };
    if (e.type === 'symlink') e.link = await fs.readlink(path.join(dir, inside));
    if (e.type === 'char' || e.type === 'block') e.rdev = st.rdev;
    out.set(inside, e);
    if (e.type !== 'dir') return;
    for (const name of (await fs.readdir(path.join(dir, inside))).sort()) {
      const child = path.posix.join(inside, name);
      if (!skip(child)) await walk(child);
    }
  };
  await walk('/');
  return out;
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** Paths whose type, mode, owner, content or link target differ, each with what differs. */
export async function diffTrees(aDir: string, a: Tree, bDir: string, b: Tree): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(p);
    const y = b.get(p);
    if (!x || !y) {
      out.set(p, x ? `only in deploy.sh's root (${x.type})` : `only in reconcile's root (${y!.type})`);
      continue;
    }
    const what: string[] = [];
    if (x.type !== y.type) what.push(`type ${x.type} vs ${y.type}`);
    if (x.mode !== y.mode) what.push(`mode ${x.mode} vs ${y.mode}`);
    if (x.owner !== y.owner) what.push(`owner ${x.owner} vs ${y.owner}`);
    if (x.link !== y.link) what.push(`link ${x.link} vs ${y.link}`);
    if (x.rdev !== y.rdev) what.push('device number');
    if (x.type === 'file' && y.type === 'file' && (x.size !== y.size || x.mtimeMs !== y.mtimeMs)) {
      if (x.size !== y.size || (await sha256(path.join(aDir, p))) !== (await sha256(path.join(bDir, p)))) what.push('content');
    }
    if (what.length > 0) out.set(p, what.join(', '));
  }
  return out;
}

/** Paths written (content, metadata or existence) between two snapshots of one root. */
export function written(before: Tree, after: Tree): string[] {
  const out: string[] = [];
  for (const p of new Set([...before.keys(), ...after.keys()])) {
    const x = before.get(p);
    const y = after.get(p);
    if (!x || !y || x.ctimeMs !== y.ctimeMs || x.mtimeMs !== y.mtimeMs) out.push(p);
  }
  return out.sort();
}
