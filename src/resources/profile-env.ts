// profile-env: a root-owned /etc/profile.d script whose content is generated
// from the resource (see profile-script.ts); otherwise an ordinary file.

import { ownerDisplay } from '../host/accounts.js';
import type { FileStat, Host } from '../host/types.js';
import type { ProfileEnvResource } from '../model/types.js';
import type { AttributeChange } from '../plan/types.js';
import { fingerprintOf, modeString } from './fingerprint.js';
import type { DiffResult, ResourceHandler } from './handler.js';
import { renderProfileScript } from './profile-script.js';

export interface ProfileEnvObserved {
  stat: FileStat | null;
  /** Text content of a regular file; null otherwise. */
  content: string | null;
  /** Current owner/group for display (names when the root knows them). */
  owner: string | null;
  group: string | null;
  /** Where a symlink at the path points, for the error message. */
  linkTarget: string | null;
}

export const profileEnvHandler: ResourceHandler<ProfileEnvResource, ProfileEnvObserved> = {
  kind: 'profile-env',

  async probe(host: Host, resource: ProfileEnvResource): Promise<ProfileEnvObserved> {
    const stat = await host.lstat(resource.path);
    if (stat === null) return { stat, content: null, owner: null, group: null, linkTarget: null };
    const names = await ownerDisplay(host, stat.uid, stat.gid);
    return {
      stat,
      content: stat.type === 'file' ? await host.readText(resource.path) : null,
      ...names,
      linkTarget: stat.type === 'symlink' ? await host.readlink(resource.path) : null,
    };
  },

  diff(resource: ProfileEnvResource, observed: ProfileEnvObserved): DiffResult {
    const result: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
    const { stat } = observed;
    if (stat !== null && stat.type !== 'file') {
      const what =
        stat.type === 'symlink' ? `a symlink to ${observed.linkTarget}` : stat.type === 'dir' ? 'a directory' : `a ${stat.type}`;
      result.errors.push({
        resource: resource.id,
        kind: 'profile-env',
        target: resource.path,
        message: `${resource.path} is ${what}, not a regular file: refusing to write through it; remove it (or replace it with a regular file) and run again`,
      });
      return result;
    }

    let wanted: string;
    try {
      wanted = renderProfileScript(resource);
    } catch (err) {
      result.errors.push({
        resource: resource.id,
        kind: 'profile-env',
        target: resource.path,
        message: `cannot generate ${resource.path}: ${(err as Error).message}`,
      });
      return result;
    }

    const attributes: Record<string, AttributeChange> = {};
    if (stat === null || stat.mode !== resource.mode) {
      attributes.mode = { before: stat && modeString(stat.mode), after: modeString(resource.mode) };
    }
    if (stat === null || stat.uid !== 0) attributes.owner = { before: observed.owner, after: 'root' };
    if (stat === null || stat.gid !== 0) attributes.group = { before: observed.group, after: 'root' };
    const contentDiffers = observed.content !== wanted;

    if (!contentDiffers && Object.keys(attributes).length === 0) {
      result.unchanged.push({ resource: resource.id, kind: 'profile-env', target: resource.path });
      return result;
    }
    const vars = Object.keys(resource.env).join(', ');
    const drift = [
      ...(contentDiffers ? ['content differs'] : []),
      ...Object.entries(attributes).map(([k, a]) => `${k} ${a.before} -> ${a.after}`),
    ];
    result.changes.push({
      resource: resource.id,
      kind: 'profile-env',
      target: resource.path,
      action: stat === null ? 'create' : 'update',
      summary:
        stat === null
          ? `${resource.path}: create (exports ${vars} in non-exempt login shells)`
          : `${resource.path}: ${drift.join(', ')}`,
      ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
      ...(contentDiffers ? { content: { before: observed.content, after: wanted } } : {}),
      expect: fingerprintOf(stat),
      op: {
        type: 'write-file',
        contentBase64: Buffer.from(wanted, 'utf8').toString('base64'),
        mode: resource.mode,
        uid: 0,
        gid: 0,
      },
    });
    return result;
  },
};
