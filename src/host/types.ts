// The one door to the host. Every path here is as seen inside the root
// ("/etc/group"), never prefixed with --root; the implementation maps it to
// the running machine and refuses anything that would leave the root.

export type FileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface FileStat {
  type: FileType;
  /** Permission bits only (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  dev: number;
  ino: number;
  rdev: number;
  mtimeMs: number;
  /** Hard links to the inode. */
  nlink: number;
}

/**
 * What a probe saw at a path: acting on it later checks that the object the
 * path now names is this one (same type, device and inode), not a swap.
 */
export interface ObjectIdentity {
  type: FileType;
  dev: number;
  ino: number;
}

/** What a file looked like when checked; a write refuses to replace anything else. */
export interface Unchanged {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface WriteOptions {
  mode: number;
  uid: number;
  gid: number;
  /**
   * Extended attributes (name -> base64) the new file gets, exactly (a
   * restore). Without it, those of the file being replaced are carried over,
   * and a file with capabilities is refused.
   */
  xattrs?: Record<string, string>;
  /**
   * Checked right before the rename: the file being replaced must still be
   * this one ('absent': nothing there), or the write is refused (a line
   * appended since the check is never lost).
   */
  unchangedSince?: Unchanged | 'absent';
}

export interface CopyOptions extends WriteOptions {
  /** Refuse before the rename unless the bytes copied have this sha256 (a vouched-for backup). */
  sha256?: string;
  /** Refuse unless the source read is this object (the one probed), not a swap. */
  source?: ObjectIdentity;
}

/** Size and sha256 of a file's bytes, computed as they stream past. */
export interface FileDigest {
  size: number;
  sha256: string;
}

export interface RunOptions {
  /** Milliseconds before the command is killed; default 30 s. */
  timeoutMs?: number;
  input?: string;
  /** Extra environment variables (LC_ALL=C is always set). */
  env?: Record<string, string>;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when the command could not be started at all (not installed). */
  notFound: boolean;
  timedOut: boolean;
}

/** A command run in a sandbox (src/host/sandbox.ts): the root read-only, one writable output directory. */
export interface SandboxSpec {
  argv: string[];
  /** An inside-root directory (a scratch dir in the state dir) mounted writable at `at`. */
  output: { dir: string; at: string };
  /** Running-machine directories mounted read-only at an inside-sandbox path (the --source checkout). */
  readOnly?: { from: string; at: string }[];
  /** Run as this user and group (ids in the root); default root without capabilities. */
  uid?: number;
  gid?: number;
  timeoutMs: number;
  env?: Record<string, string>;
}

export interface Host {
  /** Absolute path of the root on the running machine ('/' when live). */
  readonly root: string;
  /** True when the root is the running machine's own '/'. */
  readonly live: boolean;

  /** lstat: never follows a final symlink. null when the path does not exist. */
  lstat(path: string): Promise<FileStat | null>;
  /** stat: follows a final symlink, inside the root. null when missing or dangling. */
  stat(path: string): Promise<FileStat | null>;
  /**
   * Reads a file, following a final symlink inside the root. null when missing
   * or not a regular file. With `expect`, refuses unless the file read is that object.
   */
  readFile(path: string, expect?: ObjectIdentity): Promise<Buffer | null>;
  readText(path: string): Promise<string | null>;
  /** Extended attributes (name -> base64: ACLs, capabilities, user.*) of the object itself; {} for a symlink. */
  readXattrs(path: string, expect?: ObjectIdentity): Promise<Record<string, string>>;
  /**
   * Size and sha256 of a regular file, streamed (never the whole file in
   * memory); null when missing or not a regular file. `expect` as for readFile.
   */
  digestFile(path: string, expect?: ObjectIdentity): Promise<FileDigest | null>;
  readlink(path: string): Promise<string>;
  /** Entry names of a directory, sorted; [] when missing or not a directory. */
  readdir(path: string): Promise<string[]>;
  /** Paths matching a glob (* ? [...] per component), sorted, as inside-root paths. */
  glob(pattern: string): Promise<string[]>;

  /** Atomic replace: temp file in the same directory, fsync, rename, fsync dir. */
  writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions): Promise<void>;
  /**
   * Atomic copy of the regular file `from` to `to` (temp file, fsync,
   * rename), as writeFileAtomic: streamed in 1 MiB chunks, all-zero blocks
   * left as holes, read through a descriptor of the object checked. Returns
   * the size and sha256 of the bytes copied.
   */
  copyFileAtomic(from: string, to: string, opts: CopyOptions): Promise<FileDigest>;
  /** Creates a symlink atomically (temp link + rename). */
  symlinkAtomic(target: string, path: string): Promise<void>;
  /** Creates a file only if nothing is there (O_EXCL); false when something is. For locks. */
  createExclusive(path: string, data: string, mode: number): Promise<boolean>;
  /** Appends and fsyncs: for journals, where every line must survive a crash. */
  appendFileSync(path: string, data: string, mode: number): Promise<void>;
  mkdirp(path: string, mode?: number): Promise<void>;
  /**
   * chmod of the object itself, acting on a held descriptor: refuses symlinks
   * (Linux has no lchmod), a regular file or device node with other hard
   * links, and (with `expect`) any object but the one probed.
   */
  chmod(path: string, mode: number, expect?: ObjectIdentity): Promise<void>;
  /** Changes owner and group of the object itself (never a symlink's target); same checks as chmod. */
  lchown(path: string, uid: number, gid: number, expect?: ObjectIdentity): Promise<void>;
  /** rename(2) inside the root; both paths are confined. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file, symlink or device node (never follows). */
  unlink(path: string): Promise<void>;
  /**
   * Removes a directory tree, walking it by descriptor (never by path, never
   * following a symlink, never crossing into another mount).
   */
  removeTree(path: string): Promise<void>;

  /**
   * Runs a command with an argument array, never a shell. On a live host it
   * runs as is; under --root it runs inside the root through chroot(8).
   */
  run(command: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Runs a generator in a sandbox (bubblewrap): the root is its `/`,
   * read-only; only `spec.output.dir` is writable; no network, no other
   * processes, no capabilities. notFound when bwrap is not installed.
   */
  runSandboxed(spec: SandboxSpec): Promise<RunResult>;
}
