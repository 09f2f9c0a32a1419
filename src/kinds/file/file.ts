// kind: file — a path with exact content, mode and ownership; or absent.

import { lookupGid, lookupUid, ownerDisplay } from '../../host/accounts.js';
import type { FileStat, Host } from '../../host/types.js';
import type { FileResource } from './types.js';
import type { AttributeChange, Change } from '../../plan/types.js';
import { displayContent } from '../shared/content.js';
import { fingerprintOf, modeString } from '../shared/fingerprint.js';
import type { DiffResult, ResourceHandler } from '../kind.js';

export interface ObservedFile {
  stat: FileStat | null;
  content: Buffer | null;
  current: { owner: string; group: string } | null;
  /** Where a symlink at the path points, for the error message. */
  linkTarget: string | null;
  /** Desired ids, resolved in the target root; null = not resolvable. */
  uid: number | null;
  gid: number | null;
}

export async function probeFile(host: Host, path: string, owner?: string, group?: string): Promise<ObservedFile> {
  const stat = await host.lstat(path);
  const content = stat?.type === 'file' ? await host.readFile(path) : null;
  const current = stat ? await ownerDisplay(host, stat.uid, stat.gid) : null;
  const linkTarget = stat?.type === 'symlink' ? await host.readlink(path) : null;
  const uid = owner === undefined ? (stat?.uid ?? 0) : await lookupUid(host, owner);
  const gid = group === undefined ? (stat?.gid ?? 0) : await lookupGid(host, group);
  return { stat, content, current, linkTarget, uid, gid };
}

/** Desired bytes/mode/owner vs what is there: the diff shared by file and profile-env. */
export function diffManagedFile(
  res: { id: string; kind: 'file' | 'profile-env' | 'generated' },
  path: string,
  want: { content: string | Buffer; mode?: number; owner?: string; group?: string; purpose?: string; validate?: string[] },
  obs: ObservedFile,
): DiffResult {
  const out: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
  const base = { resource: res.id, kind: res.kind, target: path };
  if (obs.uid === null || obs.gid === null) {
    const which = obs.uid === null ? `owner "${want.owner}"` : `group "${want.group}"`;
    out.errors.push({ ...base, message: `${which} does not exist on the target host: create it or fix the name in the desired state.` });
    return out;
  }
  if (obs.stat && obs.stat.type !== 'file') {
    const what = obs.stat.type === 'symlink' ? `a symlink to ${obs.linkTarget}` : obs.stat.type === 'dir' ? 'a directory' : `a ${obs.stat.type}`;
    out.errors.push({
      ...base,
      message: `${path} is ${what}, not a regular file: refusing to write through it; remove it (or replace it with a regular file) and run again.`,
    });
    return out;
  }
  const bytes = Buffer.isBuffer(want.content) ? want.content : Buffer.from(want.content, 'utf8');
  const mode = want.mode ?? obs.stat?.mode ?? 0o644;
  const writeOp = {
    type: 'write-file' as const,
    contentBase64: bytes.toString('base64'),
    mode,
    uid: obs.uid,
    gid: obs.gid,
    ...(want.validate !== undefined ? { validate: want.validate } : {}),
  };
  const checked = want.validate !== undefined ? `, checked with ${want.validate[0]} first` : '';
  if (obs.stat === null) {
    out.changes.push({
      ...base,
      action: 'create',
      summary: `${path}: create (${want.purpose ?? `${modeString(mode)} ${want.owner ?? 'root'}:${want.group ?? 'root'}`}${checked})`,
      attributes: {
        mode: { before: null, after: modeString(mode) },
        owner: { before: null, after: want.owner ?? 'root' },
        group: { before: null, after: want.group ?? 'root' },
      },
      content: { before: null, after: displayContent(bytes) },
      expect: fingerprintOf(null),
      op: writeOp,
    });
    return out;
  }
  const attributes: Record<string, AttributeChange> = {};
  if (obs.stat.mode !== mode) attributes.mode = { before: modeString(obs.stat.mode), after: modeString(mode) };
  if (obs.stat.uid !== obs.uid) attributes.owner = { before: obs.current?.owner ?? null, after: want.owner ?? null };
  if (obs.stat.gid !== obs.gid) attributes.group = { before: obs.current?.group ?? null, after: want.group ?? null };
  const contentDiffers = !(obs.content ?? Buffer.alloc(0)).equals(bytes);
  if (!contentDiffers && Object.keys(attributes).length === 0) {
    out.unchanged.push(base);
    return out;
  }
  const what = [
    ...(contentDiffers ? ['content differs'] : []),
    ...Object.entries(attributes).map(([k, a]) => `${k} ${a.before} -> ${a.after}`),
  ].join(', ');
  const change: Change = {
    ...base,
    action: 'update',
    summary: `${path}: ${what}${contentDiffers ? checked : ''}`,
    expect: fingerprintOf(obs.stat),
    op: contentDiffers ? writeOp : { type: 'set-attributes', mode, uid: obs.uid, gid: obs.gid },
  };
  if (Object.keys(attributes).length > 0) change.attributes = attributes;
  if (contentDiffers) change.content = { before: displayContent(obs.content), after: displayContent(bytes) };
  out.changes.push(change);
  return out;
}

export const fileHandler: ResourceHandler<FileResource, ObservedFile> = {
  kind: 'file',
  probe: (host, res) => probeFile(host, res.path, res.owner, res.group),
  diff(res, obs) {
    if (res.state === 'present') {
      return diffManagedFile(
        res,
        res.path,
        { content: res.content ?? '', mode: res.mode, owner: res.owner, group: res.group, ...(res.validate ? { validate: res.validate } : {}) },
        obs,
      );
    }
    const out: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
    const base = { resource: res.id, kind: res.kind, target: res.path };
    if (obs.stat === null) out.unchanged.push(base);
    else if (obs.stat.type === 'dir') {
      out.errors.push({ ...base, message: `${res.path} is a directory: a file resource never removes directories; use kind "absent" with allowDirectories: true.` });
    } else {
      out.changes.push({
        ...base,
        action: 'delete',
        summary: `${res.path}: delete`,
        content: { before: displayContent(obs.content), after: null },
        expect: fingerprintOf(obs.stat),
        op: { type: 'remove', recursive: false },
      });
    }
    return out;
  },
};
