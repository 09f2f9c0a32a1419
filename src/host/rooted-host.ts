// The Host implementation: the running machine's filesystem seen through a
// root directory ('/' for the live host). Every path is resolved component by
// component inside the root, chroot-style: an absolute symlink target is read
// as inside the root, and a relative one that climbs above it is refused.
// Final components are never followed unless the operation says so.

import { accessSync, closeSync, constants as fsc, lstatSync, openSync, promises as fs, readdirSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfinementError, UserError } from '../errors.js';
import { compileGlobSegment, hasGlobMagic } from './glob-pattern.js';
import { faultPoint } from './fault-injection.js';
import { fillNewFile, writeNewFile, type NewFileOptions } from './new-file.js';
import { fileTypeOf, holdObject, readHeldSync, type HeldObject } from './held-object.js';
import { removeTreeAt } from './remove-tree.js';
import { bwrapArgs, mountPoints, type Shadow } from './sandbox.js';
import { copySparse, CopyReadError, digestOf } from './sparse-copy.js';
import { CAPABILITY, readXattrs, writeXattrs, type Xattrs } from './xattrs.js';
import type { CopyOptions, FileDigest, FileStat, Host, ObjectIdentity, RunOptions, RunResult, SandboxSpec, WriteOptions } from './types.js';

const MAX_SYMLINK_HOPS = 40;

function toFileStat(st: Stats): FileStat {
  return {
    type: fileTypeOf(st),
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    dev: st.dev,
    ino: st.ino,
    rdev: st.rdev,
    mtimeMs: st.mtimeMs,
    nlink: st.nlink,
  };
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Splits an inside-root path into its components after lexical clean-up. */
function components(insidePath: string): string[] {
  if (!insidePath.startsWith('/')) {
    throw new ConfinementError(`path "${insidePath}" is not absolute: paths are given as seen inside the root, starting with "/".`);
  }
  if (insidePath.includes('\0')) throw new ConfinementError(`path ${JSON.stringify(insidePath)} contains a NUL byte.`);
  // A path with no empty, "." or ".." component is already normal (most are);
  // normalize() is a character loop, and this runs for every path of a plan.
  const normal = isNormal(insidePath) ? insidePath : path.posix.normalize(insidePath);
  return normal.split('/').filter((c) => c !== '' && c !== '.');
}

/** True when `p` (absolute) has no "//" and no "." or ".." component: path.posix.normalize would return it unchanged, or without a trailing "/". */
function isNormal(p: string): boolean {
  return !p.includes('//') && !/\/\.\.?(\/|$)/.test(p);
}

/** How a write's temp file is made: owner and mode as asked, the crash tests' stop, and the extended attributes it carries to `target`. */
function tempFileOptions(opts: WriteOptions, carried: Xattrs, target: string): NewFileOptions {
  return {
    mode: opts.mode,
    uid: opts.uid,
    gid: opts.gid,
    afterWrite: () => faultPoint('write-temp'),
    ...(Object.keys(carried).length > 0 ? { beforeMode: (f: string) => writeXattrs(f, carried, target) } : {}),
  };
}

/** A hidden name for a temp file beside `name`; the pid lets the next run clean up after a crash. */
function tempNameFor(name: string): string {
  return `.${name}.reconcile-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
}

/** Not in fs.constants: open a path without opening the file itself (Linux). */
const O_PATH = 0o10000000;

let procFd: boolean | undefined;
function procFdAvailableSync(): boolean {
  if (procFd === undefined) {
    try {
      accessSync('/proc/self/fd');
      procFd = true;
    } catch {
      procFd = false;
    }
  }
  return procFd;
}
function procFdAvailable(): Promise<boolean> {
  return Promise.resolve(procFdAvailableSync());
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The last step of every atomic replace: rename over the target, then make the rename durable. */
async function renameIntoPlace(tmp: string, target: string, dir: string): Promise<void> {
  await faultPoint('before-rename');
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
  await faultPoint('after-rename');
}

/** Mount points at or below `real` (from /proc/self/mountinfo); [] when /proc is not there. */
async function mountsBelow(real: string): Promise<string[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const unescape = (f: string) => f.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''))
    .filter((mp) => mp === real || mp.startsWith(real + '/'));
}

async function refuseMountsBelow(real: string, p: string): Promise<void> {
  const mounts = await mountsBelow(real);
  if (mounts.length === 0) return;
  throw new ConfinementError(
    `refusing to remove ${p}: ${mounts.length === 1 ? 'a file system is' : `${mounts.length} file systems are`} mounted inside it ` +
      `(${mounts.join(', ')}), and removing the tree would delete files on ${mounts.length === 1 ? 'it' : 'them'}. ` +
      'Nothing was removed. Unmount first, or name a narrower path.',
  );
}

function dirSwapped(forPath: string): ConfinementError {
  // Checked a moment ago as a directory: now a symlink or a file.
  return new ConfinementError(
    `${forPath}: its directory was swapped for a symlink or a file while reconcile was about to act on it: refused, nothing done.`,
  );
}

function dirChanged(forPath: string, actual: string | null): ConfinementError {
  return new ConfinementError(`${forPath}: its directory changed while reconcile was about to act on it (now ${actual ?? 'unknown'}): refused, nothing done.`);
}

function symlinkRefusal(p: string): ConfinementError {
  return new ConfinementError(`refusing to chmod ${p}: it is a symlink, and chmod would change its target.`);
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (an immutable file, or not root?)',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  ENOTEMPTY: 'directory not empty',
  EBUSY: 'busy (a mount point?)',
  EXDEV: 'on another file system',
  ELOOP: 'a symlink where a directory was expected (swapped while reconcile was acting?)',
};

/**
 * System errors name the running machine's path (with the --root prefix);
 * people see the path as inside the root, what failed, and the errno code.
 * A UserError: the machine said no (a full disk, a read-only mount), not a bug.
 */
export class HostIoError extends UserError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'HostIoError';
  }
}

function hostError(err: unknown, action: string, insidePath: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (err instanceof ConfinementError || err instanceof HostIoError || typeof code !== 'string') return err;
  return new HostIoError(`cannot ${action} ${insidePath}: ${ERRNO_TEXT[code] ?? 'system error'} (${code})`, code);
}

/** A failed read of a streamed copy's source names the source, not the copy. */
function readError(err: unknown, insidePath?: string): unknown {
  if (!(err instanceof CopyReadError)) return err;
  return insidePath === undefined ? err.cause : hostError(err.cause, 'read', insidePath);
}

export class RootedHost implements Host {
  readonly root: string;
  readonly live: boolean;
  /**
   * getent's answers (exit 0, or 2 for "no such entry"), kept until the host
   * next changes: one plan asks for the same groups and users several times
   * (each kind, then the rules), and a spawned process is most of what a
   * lookup costs. A write, chmod, chown or any other command forgets them all.
   */
  private readonly lookups = new Map<string, Promise<RunResult>>();

  constructor(root: string) {
    this.root = path.resolve(root);
    this.live = this.root === '/';
  }

  /** The running machine's path for an inside-root path (no resolution). */
  private real(inside: string): string {
    if (this.live) return inside;
    // The same as path.join for a normal absolute path (root has no trailing "/"), without its normalising loop.
    return isNormal(inside) ? this.root + inside : path.join(this.root, inside);
  }

  /**
   * Resolves symlinks in the path's parents (and the final component when
   * `followFinal`), chroot-style. Returns the inside-root path with no
   * symlinks left in the resolved part.
   */
  async resolve(insidePath: string, followFinal = false): Promise<string> {
    let pending = components(insidePath);
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === '..') {
        // A relative link led us here; climbing above the root would escape it.
        if (done.length === 0) {
          throw new ConfinementError(`path ${insidePath} leads outside the root through "..": refused.`);
        }
        done.pop();
        continue;
      }
      const isFinal = pending.length === 0;
      const current = '/' + [...done, name].join('/');
      if (isFinal && !followFinal) {
        done.push(name);
        break;
      }
      let st: Stats | null = null;
      try {
        // Synchronous on purpose: one lstat of a parent directory takes
        // microseconds, and a thread-pool round trip plus a promise per path
        // component was most of a converged plan's time.
        st = lstatSync(this.real(current), { throwIfNoEntry: false }) ?? null;
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      if (st === null || !st.isSymbolicLink()) {
        done.push(name);
        if (st === null) {
          // Nothing further can be a symlink we would follow.
          for (const rest of pending) {
            if (rest === '..') done.pop();
            else done.push(rest);
          }
          pending = [];
        }
        continue;
      }
      if (++hops > MAX_SYMLINK_HOPS) {
        throw new ConfinementError(`path ${insidePath}: too many levels of symbolic links.`);
      }
      const target = readlinkSync(this.real(current));
      const targetParts = target.split('/').filter((c) => c !== '' && c !== '.');
      if (target.startsWith('/')) {
        done.length = 0;
      }
      pending = [...targetParts, ...pending];
      // A relative target that climbs above the root is an escape, absolute or not.
      let depth = done.length;
      for (const part of targetParts) {
        depth += part === '..' ? -1 : 1;
        if (depth < 0) {
          throw new ConfinementError(
            `path ${insidePath}: symlink ${current} -> ${target} points outside the root: refused, not followed.`,
          );
        }
      }
    }
    return '/' + done.join('/');
  }

  private async realPath(insidePath: string, followFinal = false): Promise<string> {
    return this.real(await this.resolve(insidePath, followFinal));
  }

  async lstat(p: string): Promise<FileStat | null> {
    try {
      // Sync, like resolve(): a probe's stat is microseconds of work.
      return toFileStat(lstatSync(await this.realPath(p)));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async stat(p: string): Promise<FileStat | null> {
    try {
      return toFileStat(lstatSync(await this.realPath(p, true)));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async readFile(p: string, expect?: ObjectIdentity): Promise<Buffer | null> {
    try {
      const real = await this.realPath(p, true);
      // Read through a descriptor of the very object checked: a parent or the
      // file swapped for a symlink after the check is never followed out.
      // Synchronous, as withHeld does it otherwise (see readHeldSync).
      const pin = this.pinDirSync(path.dirname(real), p);
      try {
        return readHeldSync(pin.via, path.basename(real), p, expect, procFdAvailableSync());
      } catch (err) {
        if (isMissing(err)) throw err;
        throw hostError(err, 'read', p);
      } finally {
        pin.close();
      }
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async readXattrs(p: string, expect?: ObjectIdentity): Promise<Xattrs> {
    return this.withHeld(p, await this.realPath(p), 'read the extended attributes of', { expect, purpose: 'read' }, (held) =>
      held.stat.isSymbolicLink() ? Promise.resolve({}) : readXattrs(held.via, p),
    );
  }

  /**
   * Runs `fn` on a read descriptor of the regular file at `p`, opened through
   * the held (checked) object, never by name again; null when missing or not
   * a regular file (a device would talk to its driver, a FIFO block).
   */
  private async withReadable<T>(p: string, expect: ObjectIdentity | undefined, fn: (handle: FileHandle) => Promise<T>): Promise<T | null> {
    try {
      const real = await this.realPath(p, true);
      return await this.withHeld(p, real, 'read', { expect, purpose: 'read' }, async (held) => {
        if (!held.stat.isFile()) return null;
        // /proc/self/fd/N of the O_PATH descriptor re-opens that very inode; without /proc, never a swapped-in link.
        const handle = await fs.open(held.via, fsc.O_RDONLY | (held.byDescriptor ? 0 : fsc.O_NOFOLLOW));
        try {
          const st = await handle.stat();
          if (st.dev !== held.stat.dev || st.ino !== held.stat.ino) {
            throw new ConfinementError(`${p} was swapped while reconcile was opening it to read: refused, nothing read.`);
          }
          return await fn(handle);
        } finally {
          await handle.close();
        }
      });
    } catch (err) {
      // Missing source only: an error naming another path (the copy's) is that path's.
      if (isMissing(err) && !(err instanceof HostIoError)) return null;
      throw err;
    }
  }

  async digestFile(p: string, expect?: ObjectIdentity): Promise<FileDigest | null> {
    return this.withReadable(p, expect, (handle) => digestOf(handle).catch((err: unknown) => Promise.reject(readError(err))));
  }

  async copyFileAtomic(from: string, to: string, opts: CopyOptions): Promise<FileDigest> {
    const digest = await this.withReadable(from, opts.source, (src) =>
      this.inPinnedParent(to, 'write', async (dir, name) => {
        const carried = await this.xattrsToCarry(to, dir, name, opts);
        const tmp = path.join(dir, tempNameFor(name));
        const copied = await fillNewFile(
          tmp,
          async (dst) => {
            const d = await copySparse(src, dst).catch((err: unknown) => Promise.reject(readError(err, from)));
            if (opts.sha256 !== undefined && d.sha256 !== opts.sha256) {
              throw new UserError(`refusing to put ${from} at ${to}: its bytes changed since they were checked (sha256 differs); nothing was replaced.`);
            }
            return d;
          },
          tempFileOptions(opts, carried, to),
        );
        await this.installTemp(tmp, to, dir, name, opts.unchangedSince);
        return copied;
      }),
    );
    if (digest === null) throw new HostIoError(`cannot copy ${from}: it is missing or not a regular file`, 'ENOENT');
    return digest;
  }

  async readText(p: string): Promise<string | null> {
    const buf = await this.readFile(p);
    return buf === null ? null : buf.toString('utf8');
  }

  async readlink(p: string): Promise<string> {
    return readlinkSync(await this.realPath(p));
  }

  async readdir(p: string): Promise<string[]> {
    try {
      // Sync, like lstat(): listing a directory is one system call.
      return readdirSync(await this.realPath(p, true)).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (isMissing(err) || code === 'ENOTDIR') return [];
      throw err;
    }
  }

  async glob(pattern: string): Promise<string[]> {
    const parts = components(pattern);
    let matches = ['/'];
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      const next: string[] = [];
      for (const dir of matches) {
        if (!hasGlobMagic(part)) {
          const candidate = path.posix.join(dir, part);
          if (last ? (await this.lstat(candidate)) !== null : (await this.stat(candidate))?.type === 'dir') {
            next.push(candidate);
          }
          continue;
        }
        const re = compileGlobSegment(part);
        for (const name of await this.readdir(dir)) {
          if (!re.test(name)) continue;
          const candidate = path.posix.join(dir, name);
          if (last || (await this.stat(candidate))?.type === 'dir') next.push(candidate);
        }
      }
      matches = next;
      if (matches.length === 0) break;
    }
    return [...new Set(matches)].sort();
  }

  /*
   * Every mutation acts through a pinned parent directory: the parent is
   * opened (O_PATH), the kernel is asked where that open directory really is
   * (/proc/self/fd/N), and the operation then names the target relative to
   * it (/proc/self/fd/N/name). A parent swapped for a symlink between our
   * checks and the system call is caught, never followed. Where /proc is not
   * mounted (a bare chroot), the checked path is used as it is.
   */
  private async inPinnedParent<T>(p: string, action: string, fn: (dir: string, name: string, real: string) => Promise<T>): Promise<T> {
    return this.changing(() => this.inPinnedParentNow(p, action, fn));
  }

  /** Runs a change to the host, forgetting lookups before and after it (one that starts meanwhile may see either side). */
  private async changing<T>(fn: () => Promise<T>): Promise<T> {
    this.lookups.clear();
    try {
      return await fn();
    } finally {
      this.lookups.clear();
    }
  }

  private async inPinnedParentNow<T>(p: string, action: string, fn: (dir: string, name: string, real: string) => Promise<T>): Promise<T> {
    const real = await this.realPath(p);
    const pin = await this.pinDir(path.dirname(real), p);
    try {
      return await fn(pin.via, path.basename(real), real);
    } catch (err) {
      throw hostError(err, action, p);
    } finally {
      await pin.close();
    }
  }

  private async pinDir(realDir: string, forPath: string): Promise<{ via: string; close(): Promise<void> }> {
    if (!(await procFdAvailable())) return { via: realDir, close: async () => undefined };
    let handle: FileHandle;
    try {
      handle = await fs.open(realDir, O_PATH | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'ELOOP') {
        throw dirSwapped(forPath);
      }
      throw hostError(err, 'open the directory of', forPath);
    }
    const via = `/proc/self/fd/${handle.fd}`;
    const actual = await fs.readlink(via).catch(() => null);
    if (actual !== realDir) {
      await handle.close();
      throw dirChanged(forPath, actual);
    }
    return { via, close: () => handle.close() };
  }

  /** pinDir without a thread-pool round trip, for reads (same open, same check). */
  private pinDirSync(realDir: string, forPath: string): { via: string; close(): void } {
    if (!procFdAvailableSync()) return { via: realDir, close: () => undefined };
    let fd: number;
    try {
      fd = openSync(realDir, O_PATH | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'ELOOP') {
        throw dirSwapped(forPath);
      }
      throw hostError(err, 'open the directory of', forPath);
    }
    const via = `/proc/self/fd/${fd}`;
    let actual: string | null = null;
    try {
      actual = readlinkSync(via);
    } catch {
      /* compared below */
    }
    if (actual !== realDir) {
      closeSync(fd);
      throw dirChanged(forPath, actual);
    }
    return { via, close: () => closeSync(fd) };
  }

  /** Holds the object at `real` (through its pinned parent) and runs `fn` on it. */
  private async withHeld<T>(
    p: string,
    real: string,
    action: string,
    opts: { expect?: ObjectIdentity; purpose: 'read' | 'chmod' | 'chown' },
    fn: (held: HeldObject) => Promise<T>,
  ): Promise<T> {
    const pin = await this.pinDir(path.dirname(real), p);
    try {
      const held = await holdObject(pin.via, path.basename(real), p, opts.purpose, opts.expect, await procFdAvailable());
      try {
        return await fn(held);
      } finally {
        await held.close();
      }
    } catch (err) {
      if (isMissing(err) && opts.purpose === 'read') throw err;
      throw hostError(err, action, p);
    } finally {
      await pin.close();
    }
  }

  async writeFileAtomic(p: string, data: Buffer | string, opts: WriteOptions): Promise<void> {
    await this.inPinnedParent(p, 'write', async (dir, name) => {
      const carried = await this.xattrsToCarry(p, dir, name, opts);
      const tmp = path.join(dir, tempNameFor(name));
      await writeNewFile(tmp, data, tempFileOptions(opts, carried, p));
      await this.installTemp(tmp, p, dir, name, opts.unchangedSince);
    });
  }

  /** Renames a written temp file over `name`, unless what is there changed since it was checked (then the temp goes). */
  private async installTemp(tmp: string, p: string, dir: string, name: string, since: WriteOptions['unchangedSince']): Promise<void> {
    try {
      await this.refuseIfChanged(p, dir, name, since);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await renameIntoPlace(tmp, path.join(dir, name), dir);
  }

  /** The extended attributes the new file gets: as asked, or those of the file it replaces. */
  private async xattrsToCarry(p: string, dir: string, name: string, opts: WriteOptions): Promise<Xattrs> {
    if (opts.xattrs !== undefined) return opts.xattrs;
    let held: HeldObject;
    try {
      held = await holdObject(dir, name, p, 'read', undefined, await procFdAvailable());
    } catch (err) {
      if (isMissing(err)) return {};
      throw err;
    }
    try {
      if (!held.stat.isFile()) return {};
      const attrs = await readXattrs(held.via, p);
      if (attrs[CAPABILITY] !== undefined) {
        throw new ConfinementError(
          `refusing to rewrite ${p}: it has file capabilities (security.capability), granted to its current bytes. Carrying them to new ` +
            'content would grant them to a different program, and dropping them could break what uses it. Nothing was changed. ' +
            `Look at them (getcap ${p}); remove them (setcap -r) if the new content should not have them, then run again.`,
        );
      }
      return attrs;
    } finally {
      await held.close();
    }
  }

  /** Right before a rename: the file being replaced is still the one checked. */
  private async refuseIfChanged(p: string, dir: string, name: string, since: WriteOptions['unchangedSince']): Promise<void> {
    if (since === undefined) return;
    const now = await fs.lstat(path.join(dir, name)).catch((err: unknown) => {
      if (isMissing(err)) return null;
      throw err;
    });
    const same =
      since === 'absent'
        ? now === null
        : now !== null && now.dev === since.dev && now.ino === since.ino && now.size === since.size && now.mtimeMs === since.mtimeMs;
    if (!same) {
      throw new ConfinementError(
        `${p} changed while reconcile was writing it (${now === null ? 'it was removed' : 'someone wrote to it or replaced it'} after it was checked and backed up): ` +
          'refused, so that change is not lost; nothing was replaced. Run again to plan against the file as it is now.',
      );
    }
  }

  async symlinkAtomic(target: string, p: string): Promise<void> {
    await this.inPinnedParent(p, 'create the symlink', async (dir, name) => {
      const tmp = path.join(dir, tempNameFor(name));
      await fs.symlink(target, tmp);
      await renameIntoPlace(tmp, path.join(dir, name), dir);
    });
  }

  async createExclusive(p: string, data: string, mode: number): Promise<boolean> {
    // Written in full to a temp file, then link(2)ed into place: the file
    // appears with its content or not at all, so a lock is never seen empty.
    return this.inPinnedParent(p, 'create', async (dir, name) => {
      const tmp = path.join(dir, tempNameFor(name));
      await writeNewFile(tmp, data, { mode });
      await faultPoint('create-exclusive');
      try {
        await fs.link(tmp, path.join(dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      } finally {
        await fs.rm(tmp, { force: true });
      }
      await syncDir(dir);
      return true;
    });
  }

  async appendFileSync(p: string, data: string, mode: number): Promise<void> {
    await faultPoint('append');
    await this.inPinnedParent(p, 'append to', async (dir, name) => {
      const handle = await fs.open(path.join(dir, name), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND | fsc.O_NOFOLLOW, mode);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  async mkdirp(p: string, mode = 0o755): Promise<void> {
    // Resolve first (a symlinked component, even a dangling one, leads to its
    // target inside the root), then create what is missing of the real path.
    // Missing ancestors are 0755 whatever the umask (a root without /var must
    // not get a 0700 /var); only the directory asked for gets `mode`.
    const parts = components(await this.resolve(p, true));
    for (let i = 1; i <= parts.length; i++) {
      const inside = '/' + parts.slice(0, i).join('/');
      const st = await this.stat(inside);
      if (st?.type === 'dir') continue;
      if (st !== null) throw new ConfinementError(`cannot create directory ${inside}: a ${st.type} is in the way.`);
      await faultPoint('mkdir');
      const want = i === parts.length ? mode : 0o755;
      await this.inPinnedParent(inside, 'create the directory', async (dir, name) => {
        await fs.mkdir(path.join(dir, name), { mode: want });
        await fs.chmod(path.join(dir, name), want);
      });
    }
  }

  async chmod(p: string, mode: number, expect?: ObjectIdentity): Promise<void> {
    // chmod(2) follows symlinks and Linux has no lchmod: hold the inode
    // itself, check it is what was probed, then chmod it through its /proc link.
    await this.changing(async () =>
      this.withHeld(p, await this.realPath(p), 'change the mode of', { expect, purpose: 'chmod' }, async (held) => {
        if (held.stat.isSymbolicLink()) throw symlinkRefusal(p);
        await faultPoint('chmod');
        await fs.chmod(held.via, mode);
      }),
    );
  }

  async lchown(p: string, uid: number, gid: number, expect?: ObjectIdentity): Promise<void> {
    await this.changing(async () =>
      this.withHeld(p, await this.realPath(p), 'change the owner of', { expect, purpose: 'chown' }, async (held) => {
        await faultPoint('lchown');
        // chown through the /proc link of an O_PATH descriptor changes that very
        // inode, a symlink included (never its target).
        if (held.byDescriptor) await fs.chown(held.via, uid, gid);
        else await fs.lchown(held.via, uid, gid);
      }),
    );
  }

  async rename(from: string, to: string): Promise<void> {
    await this.inPinnedParent(from, 'move', async (fromDir, fromName) => {
      await this.inPinnedParent(to, 'replace', async (toDir, toName) => {
        await faultPoint('rename');
        await fs.rename(path.join(fromDir, fromName), path.join(toDir, toName));
        await syncDir(toDir);
        if ((await fs.readlink(fromDir).catch(() => fromDir)) !== (await fs.readlink(toDir).catch(() => toDir))) {
          await syncDir(fromDir);
        }
      });
    });
  }

  async unlink(p: string): Promise<void> {
    await this.inPinnedParent(p, 'remove', async (dir, name) => {
      await faultPoint('unlink');
      await fs.unlink(path.join(dir, name));
      await syncDir(dir);
    });
  }

  async removeTree(p: string): Promise<void> {
    await this.inPinnedParent(p, 'remove', async (dir, name, real) => {
      if (real === this.root || real === '/') throw new ConfinementError('refusing to remove the root directory.');
      await refuseMountsBelow(real, p);
      // One rename takes the tree away atomically, so a crash never leaves it
      // half removed; the temp name is cleaned up by the next run if we die here.
      const tmp = tempNameFor(name);
      await faultPoint('remove-tree');
      await fs.rename(path.join(dir, name), path.join(dir, tmp));
      await syncDir(dir);
      await faultPoint('remove-tree-renamed');
      // Walked by descriptor, never by path: a subdirectory swapped for a
      // symlink is removed as the link it now is, and no mount is crossed.
      await removeTreeAt(dir, tmp, p, await procFdAvailable());
    });
  }

  /** For each mount point missing in the root: its deepest existing ancestor, to be shown through a tmpfs. */
  private async shadowsFor(points: string[]): Promise<Shadow[]> {
    const dirs = new Set<string>();
    for (const p of points) {
      let d = p;
      while ((await this.lstat(d)) === null) d = path.posix.dirname(d);
      if (d === p) continue;
      const st = await this.lstat(d);
      if (st?.type !== 'dir') throw new ConfinementError(`sandbox mount point ${p}: ${d} is a ${st?.type}, not a directory: refused.`);
      dirs.add(d);
    }
    const shadows: Shadow[] = [];
    // Outer directories first, so an inner shadow is made inside the outer one's tmpfs.
    for (const dir of [...dirs].sort((a, b) => a.length - b.length)) {
      const entries = [];
      for (const name of await this.readdir(dir)) {
        const child = path.posix.join(dir, name);
        const st = await this.lstat(child);
        if (st === null) continue;
        entries.push(st.type === 'symlink' ? { name, symlink: await this.readlink(child) } : { name });
      }
      shadows.push({ dir, entries });
    }
    return shadows;
  }

  async runSandboxed(spec: SandboxSpec): Promise<RunResult> {
    return this.changing(() => this.runSandboxedNow(spec));
  }

  private async runSandboxedNow(spec: SandboxSpec): Promise<RunResult> {
    // The output dir must be a real directory inside the root: resolved, and no symlink at its end.
    const output = await this.realPath(spec.output.dir);
    const st = lstatSync(output, { throwIfNoEntry: false });
    if (!st?.isDirectory()) throw new ConfinementError(`sandbox output ${spec.output.dir} is not a directory: refused.`);
    const { execa } = await import('execa');
    const result = await execa('bwrap', bwrapArgs(spec, { root: this.root, output }, await this.shadowsFor(mountPoints(spec))), {
      reject: false,
      timeout: spec.timeoutMs,
      forceKillAfterDelay: 2000,
      stdin: 'ignore',
      env: { LC_ALL: 'C' },
      extendEnv: false,
    });
    return {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      notFound: (result as { code?: string }).code === 'ENOENT',
      timedOut: Boolean(result.timedOut),
    };
  }

  async run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (command !== 'getent' || opts.input !== undefined || opts.env !== undefined) return this.changing(() => this.runNow(command, args, opts));
    const key = args.join('\0');
    let answer = this.lookups.get(key);
    if (answer === undefined) {
      answer = this.runNow(command, args, opts);
      this.lookups.set(key, answer);
      // Only a real answer is kept: a failure, a timeout or a missing getent is asked again.
      void answer.then(
        (r) => (r.exitCode === 0 || r.exitCode === 2) && !r.timedOut && !r.notFound ? undefined : this.forget(key, answer!),
        () => this.forget(key, answer!),
      );
    }
    return { ...(await answer) };
  }

  private forget(key: string, answer: Promise<RunResult>): void {
    if (this.lookups.get(key) === answer) this.lookups.delete(key);
  }

  private async runNow(command: string, args: string[], opts: RunOptions): Promise<RunResult> {
    const [file, argv] = this.live ? [command, args] : ['chroot', [this.root, command, ...args]];
    // Loaded on first use: a plan of a rooted host usually runs no command.
    const { execa } = await import('execa');
    const result = await execa(file, argv, {
      reject: false,
      timeout: opts.timeoutMs ?? 30_000,
      input: opts.input,
      stdin: opts.input === undefined ? 'ignore' : undefined,
      env: { ...opts.env, LC_ALL: 'C' },
    });
    const notFound =
      (result as { code?: string }).code === 'ENOENT' ||
      // chroot reports a missing command inside the root with status 127.
      (!this.live && result.exitCode === 127);
    return {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      notFound,
      timedOut: Boolean(result.timedOut),
    };
  }
}
