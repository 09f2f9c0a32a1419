// Builds a throwaway root directory from a tree description, so every test
// starts from real files (and real device nodes when running as root).
//
//   const root = await makeRoot({
//     'etc/group': 'video:x:44:\n',                       // file, default 0644
//     'etc/gshadow': file('video:!::\n', { mode: 0o640, gid: 42 }),
//     'var/lib/ds01/bare-metal-grants': dir({ mode: 0o711 }),
//     'usr/local/bin/nvidia-smi': symlink('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh'),
//     'dev/nvidia0': charDevice(195, 0, { mode: 0o660, gid: 44 }),
//   });
//   ...; await root.cleanup();
//
// Keys are paths inside the root, relative or absolute ('/etc/group' works);
// parent directories are created 0755 as needed. Entries are created in key
// order after sorting, so a dir entry's mode applies even if children follow.

import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Ownership {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface FileEntry extends Ownership {
  type: 'file';
  content: string | Buffer;
}
export interface DirEntry extends Ownership {
  type: 'dir';
}
export interface SymlinkEntry {
  type: 'symlink';
  target: string;
}
export interface DeviceEntry extends Ownership {
  type: 'char' | 'block';
  major: number;
  minor: number;
}
export interface FifoEntry extends Ownership {
  type: 'fifo';
}

export type TreeEntry = string | Buffer | FileEntry | DirEntry | SymlinkEntry | DeviceEntry | FifoEntry;
export type Tree = Record<string, TreeEntry>;

export function file(content: string | Buffer, opts: Ownership = {}): FileEntry {
  return { type: 'file', content, ...opts };
}
export function dir(opts: Ownership = {}): DirEntry {
  return { type: 'dir', ...opts };
}
export function symlink(target: string): SymlinkEntry {
  return { type: 'symlink', target };
}
export function charDevice(major: number, minor: number, opts: Ownership = {}): DeviceEntry {
  return { type: 'char', major, minor, ...opts };
}
export function blockDevice(major: number, minor: number, opts: Ownership = {}): DeviceEntry {
  return { type: 'block', major, minor, ...opts };
}
export function fifo(opts: Ownership = {}): FifoEntry {
  return { type: 'fifo', ...opts };
}

export interface TempRoot {
  /** Absolute path of the root directory on the running machine. */
  dir: string;
  /** Maps an inside-root path ("/etc/group") to the real path. */
  path(inside: string): string;
  /** Adds more entries to the existing root. */
  add(tree: Tree): Promise<void>;
  cleanup(): Promise<void>;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let mknodWorks: boolean | undefined;

/** True when this process can create device nodes (root with CAP_MKNOD). */
export async function canMakeDevices(): Promise<boolean> {
  if (mknodWorks !== undefined) return mknodWorks;
  if (!isRoot) return (mknodWorks = false);
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-mknod-'));
  try {
    execFileSync('mknod', [path.join(d, 'probe'), 'c', '1', '3'], { stdio: 'ignore' });
    mknodWorks = true;
  } catch {
    mknodWorks = false;
  } finally {
    await fs.rm(d, { recursive: true, force: true });
  }
  return mknodWorks;
}

export async function makeRoot(tree: Tree = {}): Promise<TempRoot> {
  const dirPath = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-root-'));
  // mkdtemp makes 0700; a root directory is normally 0755.
  await fs.chmod(dirPath, 0o755);
  const toReal = (inside: string): string => {
    const rel = inside.replace(/^\/+/, '');
    const real = path.resolve(dirPath, rel);
    if (real !== dirPath && !real.startsWith(dirPath + path.sep)) {
      throw new Error(`tree path ${inside} leaves the temp root`);
    }
    return real;
  };
  const root: TempRoot = {
    dir: dirPath,
    path: toReal,
    add: (more) => buildTree(toReal, more),
    cleanup: () => fs.rm(dirPath, { recursive: true, force: true }),
  };
  await buildTree(toReal, tree);
  return root;
}

async function buildTree(toReal: (p: string) => string, tree: Tree): Promise<void> {
  const keys = Object.keys(tree).sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
  const dirsToFinish: Array<[string, DirEntry]> = [];
  for (const key of keys) {
    const entry = normalise(tree[key]);
    const real = toReal(key);
    await fs.mkdir(path.dirname(real), { recursive: true, mode: 0o755 });
    switch (entry.type) {
      case 'file':
        await fs.writeFile(real, entry.content);
        await finish(real, entry, 0o644);
        break;
      case 'dir':
        await fs.mkdir(real, { recursive: true });
        // Mode and owner last: a 0555 dir would block its children.
        dirsToFinish.push([real, entry]);
        break;
      case 'symlink':
        await fs.symlink(entry.target, real);
        break;
      case 'char':
      case 'block':
        if (!(await canMakeDevices())) {
          throw new Error(`cannot create device node ${key}: needs root with CAP_MKNOD (use canMakeDevices() to skip)`);
        }
        execFileSync('mknod', [real, entry.type === 'char' ? 'c' : 'b', String(entry.major), String(entry.minor)]);
        await finish(real, entry, 0o600);
        break;
      case 'fifo':
        execFileSync('mkfifo', [real]);
        await finish(real, entry, 0o644);
        break;
    }
  }
  for (const [real, entry] of dirsToFinish.reverse()) await finish(real, entry, 0o755);
}

function depth(p: string): number {
  return p.replace(/^\/+|\/+$/g, '').split('/').length;
}

function normalise(entry: TreeEntry | undefined): Exclude<TreeEntry, string | Buffer> {
  if (entry === undefined) throw new Error('undefined tree entry');
  if (typeof entry === 'string' || Buffer.isBuffer(entry)) return { type: 'file', content: entry };
  return entry;
}

async function finish(real: string, o: Ownership, defaultMode: number): Promise<void> {
  if (o.uid !== undefined || o.gid !== undefined) {
    await fs.lchown(real, o.uid ?? -1, o.gid ?? -1);
  }
  // chmod after chown: chown clears setuid/setgid bits.
  await fs.chmod(real, o.mode ?? defaultMode);
}
