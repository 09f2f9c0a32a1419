// directory: exists, with the declared mode/owner/group. Attribute changes
// are made in place on the directory that was checked (the shared applier's
// set-attributes goes through the Host's pinned parent and never follows a
// symlink); content is never touched.

import { lookupGid, lookupUid, ownerDisplay } from '../../host/accounts.js';
import type { FileStat, Host } from '../../host/types.js';
import type { AttributeChange } from '../../plan/types.js';
import { emptyDiff, type DiffResult, type ResourceHandler } from '../kind.js';
import { fingerprintOf, modeString } from '../shared/fingerprint.js';
import type { DirectoryResource } from './types.js';

export interface ObservedDirectory {
  stat: FileStat | null;
  current: { owner: string; group: string } | null;
  linkTarget: string | null;
  /** Wanted ids resolved in the root; undefined when not declared, null when unknown. */
  uid: number | null | undefined;
  gid: number | null | undefined;
}

export const directoryHandler: ResourceHandler<DirectoryResource, ObservedDirectory> = {
  kind: 'directory',

  async probe(host: Host, res: DirectoryResource): Promise<ObservedDirectory> {
    const stat = await host.lstat(res.path);
    return {
      stat,
      current: stat ? await ownerDisplay(host, stat.uid, stat.gid) : null,
      linkTarget: stat?.type === 'symlink' ? await host.readlink(res.path) : null,
      uid: res.owner === undefined ? undefined : await lookupUid(host, res.owner),
      gid: res.group === undefined ? undefined : await lookupGid(host, res.group),
    };
  },

  diff(res: DirectoryResource, obs: ObservedDirectory): DiffResult {
    const out = emptyDiff();
    const base = { resource: res.id, kind: res.kind, target: res.path };
    if (obs.uid === null || obs.gid === null) {
      const which = obs.uid === null ? `owner "${res.owner}"` : `group "${res.group}"`;
      out.errors.push({ ...base, message: `${which} does not exist on the target host: create it or fix the name in the desired state.` });
      return out;
    }
    if (obs.stat === null) {
      const mode = res.mode ?? 0o755;
      out.changes.push({
        ...base,
        action: 'create',
        summary: `${res.path}: create directory (${modeString(mode)} ${res.owner ?? 'root'}:${res.group ?? 'root'})`,
        attributes: {
          mode: { before: null, after: modeString(mode) },
          owner: { before: null, after: res.owner ?? 'root' },
          group: { before: null, after: res.group ?? 'root' },
        },
        expect: fingerprintOf(null),
        op: { type: 'make-directory', mode, uid: obs.uid ?? 0, gid: obs.gid ?? 0 },
      });
      return out;
    }
    if (obs.stat.type !== 'dir') {
      const what = obs.stat.type === 'symlink' ? `a symlink to ${obs.linkTarget} (never followed)` : `a ${obs.stat.type === 'file' ? 'regular file' : obs.stat.type}`;
      out.errors.push({ ...base, message: `${res.path} is ${what}, not a directory: move it away, then run again.` });
      return out;
    }
    const attributes: Record<string, AttributeChange> = {};
    if (res.mode !== undefined && obs.stat.mode !== res.mode) attributes.mode = { before: modeString(obs.stat.mode), after: modeString(res.mode) };
    if (obs.uid !== undefined && obs.stat.uid !== obs.uid) attributes.owner = { before: obs.current?.owner ?? null, after: res.owner ?? null };
    if (obs.gid !== undefined && obs.stat.gid !== obs.gid) attributes.group = { before: obs.current?.group ?? null, after: res.group ?? null };
    const changed = Object.keys(attributes);
    if (changed.length === 0) {
      out.unchanged.push(base);
      return out;
    }
    out.changes.push({
      ...base,
      action: 'update',
      summary: `${res.path}: ${changed.map((k) => `${k} ${attributes[k]!.before} -> ${attributes[k]!.after}`).join(', ')}`,
      attributes,
      expect: fingerprintOf(obs.stat),
      op: {
        type: 'set-attributes',
        ...(res.mode !== undefined ? { mode: res.mode } : {}),
        ...(obs.uid !== undefined ? { uid: obs.uid } : {}),
        ...(obs.gid !== undefined ? { gid: obs.gid } : {}),
      },
    });
    return out;
  },
};
