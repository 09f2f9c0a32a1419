// Before a path is changed or removed, its bytes and metadata are copied to
// <state-dir>/backups/<run-id>/<path> (bytes) and <path>.meta.json (mode,
// owner, type, link target, extended attributes), so nothing reconcile does loses data.

import path from 'node:path';
import type { FileType, Host } from '../host/types.js';

export interface BackupRecord {
  path: string;
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  /** For device nodes: the device number, so the node can be re-created. */
  rdev?: number;
  linkTarget?: string;
  /** Where the bytes were copied, inside the root; for regular files. */
  copy?: string;
  sha256?: string;
  size?: number;
  /** Extended attributes (POSIX ACLs, capabilities, user.*; name -> base64), put back with the bytes. */
  xattrs?: Record<string, string>;
}

/**
 * Copies a path (recursively for directories, unless `recursive` is false: a
 * change of a directory's own mode or owner needs only its own record)
 * under backupDir; returns a record per entry.
 */
export async function backupPath(host: Host, backupDir: string, target: string, recursive = true): Promise<BackupRecord[]> {
  const stat = await host.lstat(target);
  if (stat === null) return [];
  const record: BackupRecord = { path: target, type: stat.type, mode: stat.mode, uid: stat.uid, gid: stat.gid };
  const copy = path.posix.join(backupDir, target);
  await host.mkdirp(path.posix.dirname(copy), 0o700);
  if (stat.type === 'symlink') record.linkTarget = await host.readlink(target);
  if (stat.type === 'char' || stat.type === 'block') record.rdev = stat.rdev;
  if (stat.type === 'file') {
    // Through the object just probed: a name swapped for a symlink to a
    // file outside the root in between is refused, never copied. Streamed
    // and holes kept: a 600 MB sparse file costs neither memory nor disk.
    // Backups may hold /etc/gshadow: readable by root only.
    const probed = { type: stat.type, dev: stat.dev, ino: stat.ino };
    const digest = await host.copyFileAtomic(target, copy, { mode: 0o600, uid: 0, gid: 0, source: probed });
    const xattrs = await host.readXattrs(target, probed);
    if (Object.keys(xattrs).length > 0) record.xattrs = xattrs;
    record.copy = copy;
    record.size = digest.size;
    record.sha256 = digest.sha256;
  }
  await host.writeFileAtomic(`${copy}.meta.json`, JSON.stringify(record, null, 2) + '\n', { mode: 0o600, uid: 0, gid: 0 });
  const records = [record];
  if (stat.type === 'dir' && recursive) {
    for (const name of await host.readdir(target)) {
      records.push(...(await backupPath(host, backupDir, path.posix.join(target, name))));
    }
  }
  return records;
}

export type Vouched = { ok: true } | { ok: false; problem: string };

/** A file in the backups that reconcile wrote: regular, its owner, readable by nobody else. */
async function ownFileProblem(host: Host, p: string, owner: number): Promise<string | null> {
  const st = await host.lstat(p);
  if (st === null) return `${p} is missing`;
  if (st.type !== 'file') return `${p} is a ${st.type}, not a file`;
  if (st.uid !== owner) return `${p} is owned by uid ${st.uid}, not by reconcile's user`;
  if ((st.mode & 0o077) !== 0) return `${p} has mode ${st.mode.toString(8).padStart(4, '0')}, not 0600 as reconcile writes it`;
  return null;
}

/**
 * Whether a journal's backup record can be believed before rollback acts on
 * it as root: the copy is exactly where this run's backup of that path lives
 * (never a file elsewhere that a journal points at), its bytes have the
 * recorded sha256, and the .meta.json written beside it says the same type,
 * mode (set-id bits included), owner and link target. The sha256 is
 * computed streaming (a large backup is never loaded); whoever puts the
 * bytes back checks it again as they read them.
 */
export async function vouchForRecord(host: Host, backupDir: string, r: BackupRecord, owner: number): Promise<Vouched> {
  const where = path.posix.join(backupDir, r.path);
  const meta = `${where}.meta.json`;
  const metaProblem = await ownFileProblem(host, meta, owner);
  if (metaProblem !== null) return { ok: false, problem: metaProblem };
  let saved: Partial<BackupRecord>;
  try {
    saved = JSON.parse((await host.readText(meta)) ?? '') as Partial<BackupRecord>;
  } catch {
    return { ok: false, problem: `${meta} is not JSON` };
  }
  const keys = ['path', 'type', 'mode', 'uid', 'gid', 'rdev', 'linkTarget', 'copy', 'sha256'] as const;
  const differs = keys.filter((k) => saved?.[k] !== r[k]);
  if (differs.length > 0) return { ok: false, problem: `the journal and ${meta} disagree on ${differs.join(', ')}` };
  if (r.type !== 'file') return { ok: true };
  if (r.copy !== where) return { ok: false, problem: `its copy is recorded at ${r.copy ?? '(none)'}, not at ${where} inside this run's backups` };
  const copyProblem = await ownFileProblem(host, where, owner);
  if (copyProblem !== null) return { ok: false, problem: copyProblem };
  const digest = await host.digestFile(where);
  if (digest === null || digest.sha256 !== r.sha256) return { ok: false, problem: `${where} does not have the sha256 the journal recorded` };
  return { ok: true };
}
