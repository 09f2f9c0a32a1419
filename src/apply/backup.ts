// Before a path is changed or removed, its bytes and metadata are copied to
// <state-dir>/backups/<run-id>/<path> (bytes) and <path>.meta.json (mode,
// owner, type, link target), so nothing reconcile does loses data.

import path from 'node:path';
import { createHash } from 'node:crypto';
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
    const bytes = (await host.readFile(target)) ?? Buffer.alloc(0);
    // Backups may hold /etc/gshadow: readable by root only.
    await host.writeFileAtomic(copy, bytes, { mode: 0o600, uid: 0, gid: 0 });
    record.copy = copy;
    record.size = bytes.length;
    record.sha256 = createHash('sha256').update(bytes).digest('hex');
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
