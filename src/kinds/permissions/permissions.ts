// permissions: mode/owner/group for every file and directory matched (and,
// with `recursive`, below each matched directory). One change per target.
// The walk never follows a symlink: only entries whose lstat says "dir" are
// entered, and symlinks, devices, FIFOs and sockets are left alone. The
// change itself is the shared set-attributes operation, made in place on the
// checked inode through the Host's pinned parent (chmod through an O_PATH fd,
// lchown), after re-checking the fingerprint taken here.

import path from 'node:path';
import { accountSource, lookupGid, lookupUid, ownerDisplay } from '../../host/accounts.js';
import { hasGlobMagic } from '../../host/glob-pattern.js';
import type { FileStat, Host } from '../../host/types.js';
import type { AttributeChange } from '../../plan/types.js';
import { emptyDiff, type DiffResult, type ResourceHandler } from '../kind.js';
import { fingerprintOf, modeString } from '../shared/fingerprint.js';
import type { PermissionsResource } from './types.js';

/** Larger files are not read to look for `#!`: scripts are small. */
const SCRIPT_READ_LIMIT = 1024 * 1024;

export interface PermissionsEntry {
  path: string;
  stat: FileStat;
  owner: string;
  group: string;
  isScript: boolean;
}

export interface ObservedPermissions {
  uid: number | null | undefined;
  gid: number | null | undefined;
  passwdSource: string;
  groupSource: string;
  entries: PermissionsEntry[];
  /** Symlinks and other non-file, non-directory entries met and left alone. */
  skipped: { symlinks: number; other: number };
  unmatched: string[];
}

async function walk(host: Host, res: PermissionsResource, p: string, stat: FileStat, out: { path: string; stat: FileStat }[], skipped: ObservedPermissions['skipped']): Promise<void> {
  if (stat.type === 'symlink') {
    skipped.symlinks += 1;
    return;
  }
  if (stat.type !== 'file' && stat.type !== 'dir') {
    skipped.other += 1;
    return;
  }
  out.push({ path: p, stat });
  if (stat.type !== 'dir' || !res.recursive) return;
  for (const name of await host.readdir(p)) {
    const child = path.posix.join(p, name);
    const st = await host.lstat(child);
    if (st !== null) await walk(host, res, child, st, out, skipped);
  }
}

export const permissionsHandler: ResourceHandler<PermissionsResource, ObservedPermissions> = {
  kind: 'permissions',

  async probe(host: Host, res: PermissionsResource): Promise<ObservedPermissions> {
    const found: { path: string; stat: FileStat }[] = [];
    const skipped = { symlinks: 0, other: 0 };
    const unmatched: string[] = [];
    const seen = new Set<string>();
    for (const pattern of res.paths) {
      const matches = hasGlobMagic(pattern) ? await host.glob(pattern) : [pattern];
      let any = false;
      for (const p of matches) {
        const st = await host.lstat(p);
        if (st === null) continue;
        any = true;
        await walk(host, res, p, st, found, skipped);
      }
      if (!any) unmatched.push(pattern);
    }
    const names = new Map<string, { owner: string; group: string }>();
    const entries: PermissionsEntry[] = [];
    for (const { path: p, stat } of found) {
      if (seen.has(p)) continue;
      seen.add(p);
      const key = `${stat.uid}:${stat.gid}`;
      if (!names.has(key)) names.set(key, await ownerDisplay(host, stat.uid, stat.gid));
      let isScript = false;
      if (res.executableScripts && stat.type === 'file' && stat.size >= 2 && stat.size <= SCRIPT_READ_LIMIT) {
        const bytes = await host.readFile(p).catch(() => null);
        isScript = bytes !== null && bytes[0] === 0x23 && bytes[1] === 0x21;
      }
      entries.push({ path: p, stat, ...names.get(key)!, isScript });
    }
    return {
      uid: res.owner === undefined ? undefined : await lookupUid(host, res.owner),
      gid: res.group === undefined ? undefined : await lookupGid(host, res.group),
      passwdSource: accountSource(host, 'passwd'),
      groupSource: accountSource(host, 'group'),
      entries,
      skipped,
      unmatched,
    };
  },

  diff(res: PermissionsResource, obs: ObservedPermissions): DiffResult {
    const out = emptyDiff();
    const unknown = [
      ...(obs.uid === null ? [`user ${res.owner} does not exist in ${obs.passwdSource}`] : []),
      ...(obs.gid === null ? [`group ${res.group} does not exist in ${obs.groupSource}`] : []),
    ];
    if (unknown.length > 0) {
      out.errors.push({ resource: res.id, kind: res.kind, message: `${unknown.join('; ')}: fix the owner/group of this resource or create the account` });
      return out;
    }
    for (const pattern of obs.unmatched) {
      out.notes.push({ resource: res.id, level: 'info', target: pattern, message: `nothing matches ${pattern}` });
    }
    const { symlinks, other } = obs.skipped;
    if (symlinks + other > 0) {
      const parts = [...(symlinks ? [`${symlinks} symlink${symlinks === 1 ? '' : 's'} (never followed)`] : []), ...(other ? [`${other} device node/FIFO/socket${other === 1 ? '' : 's'}`] : [])];
      out.notes.push({ resource: res.id, level: 'info', message: `left alone: ${parts.join(', ')}` });
    }
    for (const e of obs.entries) {
      const base = e.stat.type === 'dir' ? res.dirMode : res.fileMode;
      let mode = base ?? e.stat.mode;
      // Execute wherever read is set: 0644 -> 0755, 0640 -> 0750.
      if (e.isScript) mode |= (mode & 0o444) >> 2;
      const attributes: Record<string, AttributeChange> = {};
      if (mode !== e.stat.mode) attributes.mode = { before: modeString(e.stat.mode), after: modeString(mode) };
      if (obs.uid != null && e.stat.uid !== obs.uid) attributes.owner = { before: e.owner, after: res.owner ?? null };
      if (obs.gid != null && e.stat.gid !== obs.gid) attributes.group = { before: e.group, after: res.group ?? null };
      const changed = Object.keys(attributes);
      const target = { resource: res.id, kind: res.kind, target: e.path };
      if (changed.length === 0) {
        out.unchanged.push(target);
        continue;
      }
      out.changes.push({
        ...target,
        action: 'update',
        summary: `${e.path}: ${changed.map((k) => `${k} ${attributes[k]!.before} -> ${attributes[k]!.after}`).join(', ')}${e.isScript && attributes.mode ? ' (script)' : ''}`,
        attributes,
        expect: fingerprintOf(e.stat),
        op: {
          type: 'set-attributes',
          ...(attributes.mode ? { mode } : {}),
          ...(obs.uid != null ? { uid: obs.uid } : {}),
          ...(obs.gid != null ? { gid: obs.gid } : {}),
        },
      });
    }
    return out;
  },
};
