// Carrying out one planned change: re-check the target is as probed, back it
// up, do exactly the change's Operation, then check the result (Terraform's
// "inconsistent result after apply"). Shared by every resource kind.

import path from 'node:path';
import { errorMessage } from '../errors.js';
import { changeGroupMembers, readGroup } from '../host/group-db.js';
import type { FileType, Host, Unchanged } from '../host/types.js';
import type { Change, Fingerprint } from '../plan/types.js';
import { fingerprintOf, modeString } from '../kinds/shared/fingerprint.js';
import { backupPath, type BackupRecord } from './backup.js';
import { orderGroupMembers } from './group-order.js';
import type { OutcomeStatus } from './journal.js';
import { writeValidated } from './validated-write.js';
import { commandFingerprint, commandInconsistency, isCommandOp, performCommandOp } from './command-ops.js';

export interface Outcome {
  status: OutcomeStatus;
  message: string;
  after?: Fingerprint;
}

export async function currentFingerprint(host: Host, change: Change): Promise<Fingerprint> {
  if (change.op.type === 'group-members') {
    const group = await readGroup(host, change.target);
    return group === null ? { type: 'absent' } : { type: 'group', members: group.members };
  }
  if (isCommandOp(change.op)) return commandFingerprint(host, change.op);
  return fingerprintOf(await host.lstat(change.target));
}

export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'absent') return true;
  if (a.type === 'group' && b.type === 'group') {
    return [...a.members].sort().join('\n') === [...b.members].sort().join('\n');
  }
  if (a.type === 'path' && b.type === 'path') {
    return (
      a.fileType === b.fileType &&
      a.dev === b.dev &&
      a.ino === b.ino &&
      a.mode === b.mode &&
      a.uid === b.uid &&
      a.gid === b.gid &&
      a.size === b.size &&
      a.mtimeMs === b.mtimeMs
    );
  }
  // service, package: plain values.
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Backs up whatever the change will alter. */
export async function backupForChange(host: Host, change: Change, backupDir: string): Promise<BackupRecord[]> {
  const op = change.op;
  if (op.type === 'group-members') {
    const records: BackupRecord[] = [];
    for (const file of ['/etc/group', '/etc/gshadow']) records.push(...(await backupPath(host, backupDir, file)));
    return records;
  }
  if (isCommandOp(op)) return [];
  const records = await backupPath(host, backupDir, change.target, op.type !== 'set-attributes');
  if (op.type === 'rename-over') records.push(...(await backupPath(host, backupDir, op.from)));
  return records;
}

function unchangedSince(change: Change): Unchanged | 'absent' | undefined {
  const e = change.expect;
  if (e.type === 'absent') return 'absent';
  return e.type === 'path' ? { dev: e.dev, ino: e.ino, size: e.size, mtimeMs: e.mtimeMs } : undefined;
}

async function perform(host: Host, change: Change): Promise<void> {
  const op = change.op;
  switch (op.type) {
    case 'write-file':
      if (op.validate !== undefined) {
        await writeValidated(host, change.target, Buffer.from(op.contentBase64, 'base64'), op, op.validate);
        return;
      }
      await host.mkdirp(path.posix.dirname(change.target));
      await host.writeFileAtomic(change.target, Buffer.from(op.contentBase64, 'base64'), {
        mode: op.mode,
        uid: op.uid,
        gid: op.gid,
        ...(op.xattrs !== undefined ? { xattrs: op.xattrs } : {}),
        // Re-checked right before the rename: a line appended after the
        // backup must not be lost under the new content.
        unchangedSince: unchangedSince(change),
      });
      return;
    case 'set-attributes': {
      const st = await host.lstat(change.target);
      if (st === null) throw new Error(`${change.target} disappeared`);
      // Act on the object whose fingerprint was checked, never on whatever
      // the name points at by the time the system call runs.
      const probed = change.expect.type === 'path' ? change.expect : null;
      const identity = probed ? { type: probed.fileType as FileType, dev: probed.dev, ino: probed.ino } : undefined;
      // In place, never by rewriting the file: a new inode would break hard
      // links and drop ACLs, capabilities and security labels. Each attribute
      // changes atomically; a crash between the two leaves the bytes intact
      // and one attribute still to do, which the next run finishes.
      if (op.uid !== undefined || op.gid !== undefined) {
        if (op.uid !== st.uid || op.gid !== st.gid) await host.lchown(change.target, op.uid ?? st.uid, op.gid ?? st.gid, identity);
      }
      // After chown, which may clear set-id bits.
      if (op.mode !== undefined) await host.chmod(change.target, op.mode, identity);
      return;
    }
    case 'remove':
      if (op.recursive) await host.removeTree(change.target);
      else await host.unlink(change.target);
      return;
    case 'rename-over':
      await host.rename(op.from, change.target);
      return;
    case 'group-members':
      await changeGroupMembers(host, change.target, op.add, op.remove);
      if (op.order !== undefined && !host.live) await orderGroupMembers(host, change.target, op.order);
      return;
    case 'restore-file':
      // Streamed from the backup copy, holes kept; refused before the rename if its bytes are not the ones vouched for.
      await host.mkdirp(path.posix.dirname(change.target));
      await host.copyFileAtomic(op.from, change.target, {
        mode: op.mode,
        uid: op.uid,
        gid: op.gid,
        sha256: op.sha256,
        xattrs: op.xattrs ?? {},
        unchangedSince: unchangedSince(change),
      });
      return;
    case 'restore-symlink':
      await host.mkdirp(path.posix.dirname(change.target));
      await host.symlinkAtomic(op.linkTarget, change.target);
      await host.lchown(change.target, op.uid, op.gid);
      return;
    case 'service':
    case 'install-packages':
      return performCommandOp(host, op);
    case 'make-directory':
      await host.mkdirp(change.target, op.mode);
      await host.lchown(change.target, op.uid, op.gid);
      // After chown, and not subject to the umask.
      await host.chmod(change.target, op.mode);
      return;
  }
}

/** Why the result differs from what the operation intended; null when it matches. */
async function inconsistency(host: Host, change: Change): Promise<string | null> {
  const op = change.op;
  if (op.type === 'group-members') {
    const members = new Set((await readGroup(host, change.target))?.members ?? []);
    const missing = op.add.filter((m) => !members.has(m));
    const left = op.remove.filter((m) => members.has(m));
    if (missing.length) return `group ${change.target} still lacks ${missing.join(', ')}`;
    if (left.length) return `group ${change.target} still has ${left.join(', ')}`;
    if (op.order !== undefined && !host.live && [...members].join(',') !== op.order.join(',')) {
      return `group ${change.target} has members ${[...members].join(',')}, wanted ${op.order.join(',')}`;
    }
    return null;
  }
  if (isCommandOp(op)) return commandInconsistency(change, op, await currentFingerprint(host, change));
  const st = await host.lstat(change.target);
  switch (op.type) {
    case 'remove':
      return st === null ? null : `${change.target} still exists`;
    case 'rename-over':
      return st?.type === 'file' ? null : `${change.target} is not a regular file after the rename`;
    case 'write-file': {
      if (st?.type !== 'file') return `${change.target} is not a regular file after writing`;
      const bytes = await host.readFile(change.target);
      if (!bytes?.equals(Buffer.from(op.contentBase64, 'base64'))) return `${change.target} content differs after writing`;
      if (st.mode !== op.mode) return `${change.target} has mode ${modeString(st.mode)}, wanted ${modeString(op.mode)}`;
      if (st.uid !== op.uid || st.gid !== op.gid) return `${change.target} is owned ${st.uid}:${st.gid}, wanted ${op.uid}:${op.gid}`;
      return null;
    }
    case 'restore-file':
      if (st?.type !== 'file') return `${change.target} is not a regular file after restoring it`;
      if ((await host.digestFile(change.target))?.sha256 !== op.sha256) return `${change.target} content differs after restoring it`;
      if (st.mode !== op.mode) return `${change.target} has mode ${modeString(st.mode)}, wanted ${modeString(op.mode)}`;
      if (st.uid !== op.uid || st.gid !== op.gid) return `${change.target} is owned ${st.uid}:${st.gid}, wanted ${op.uid}:${op.gid}`;
      return null;
    case 'restore-symlink':
      if (st?.type !== 'symlink') return `${change.target} is not a symlink after restoring it`;
      if ((await host.readlink(change.target)) !== op.linkTarget) return `${change.target} does not point at ${op.linkTarget}`;
      return null;
    case 'make-directory':
      if (st?.type !== 'dir') return `${change.target} is not a directory after creating it`;
      if (st.mode !== op.mode) return `${change.target} has mode ${modeString(st.mode)}, wanted ${modeString(op.mode)}`;
      return null;
    case 'set-attributes':
      if (st === null) return `${change.target} is missing`;
      if (op.mode !== undefined && st.mode !== op.mode) return `${change.target} has mode ${modeString(st.mode)}, wanted ${modeString(op.mode)}`;
      if (op.uid !== undefined && st.uid !== op.uid) return `${change.target} is owned by uid ${st.uid}, wanted ${op.uid}`;
      if (op.gid !== undefined && st.gid !== op.gid) return `${change.target} has gid ${st.gid}, wanted ${op.gid}`;
      return null;
  }
}

export interface ApplyHooks {
  /** Called after the backup, before acting: the journal's "begin" entry. */
  beforeAct?(backups: BackupRecord[], before: Fingerprint): Promise<void>;
}

export async function applyChange(host: Host, change: Change, backupDir: string, hooks: ApplyHooks = {}): Promise<Outcome> {
  try {
    const before = await currentFingerprint(host, change);
    if (!sameFingerprint(before, change.expect)) {
      return { status: 'skipped', message: `${change.target} changed since it was planned; left alone. Run plan again.` };
    }
    if (change.op.type === 'rename-over' && (await host.lstat(change.op.from))?.type !== 'file') {
      return { status: 'skipped', message: `${change.op.from} is gone since it was planned; left alone.` };
    }
    let backups: BackupRecord[];
    try {
      backups = await backupForChange(host, change, backupDir);
    } catch (err) {
      // A full or read-only state dir: nothing is changed without its backup.
      return { status: 'failed', message: `could not back up ${change.target} first, so it was left as it is: ${errorMessage(err)}` };
    }
    await hooks.beforeAct?.(backups, before);
    await perform(host, change);
    const after = await currentFingerprint(host, change);
    const wrong = await inconsistency(host, change);
    if (wrong !== null) return { status: 'failed', message: `inconsistent result after apply: ${wrong}`, after };
    return { status: 'applied', message: change.summary, after };
  } catch (err) {
    return { status: 'failed', message: errorMessage(err) };
  }
}
