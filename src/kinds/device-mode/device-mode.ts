// device-mode: every device node matching the globs gets mode, owner and
// group. Each node is its own change. Symlinks are never followed, other
// file types are never touched, and no match at all is normal (no GPUs).

import { errorMessage } from '../../errors.js';
import { lookupGid, lookupUid, ownerDisplay, accountSource } from '../../host/accounts.js';
import type { FileStat, Host } from '../../host/types.js';
import type { DeviceModeResource } from './types.js';
import type { AttributeChange } from '../../plan/types.js';
import { fingerprintOf, modeString } from '../shared/fingerprint.js';
import type { DiffResult, ResourceHandler } from '../kind.js';

export interface ObservedNode {
  path: string;
  stat: FileStat;
  /** Current owner and group, as names when the root knows them. */
  owner: string;
  group: string;
}

export interface DeviceModeObserved {
  /** Resolved wanted ids; null when the name is unknown. */
  uid: number | null;
  gid: number | null;
  passwdSource: string;
  groupSource: string;
  /** Every match of every pattern, each path once, sorted. */
  nodes: ObservedNode[];
  /** Patterns or nodes that could not be probed: errors of those targets alone. */
  failures: { target: string; message: string }[];
}

const FILE_TYPE_NAMES: Record<string, string> = {
  file: 'a regular file',
  dir: 'a directory',
  fifo: 'a FIFO',
  socket: 'a socket',
};

export const deviceModeHandler: ResourceHandler<DeviceModeResource, DeviceModeObserved> = {
  kind: 'device-mode',

  async probe(host: Host, resource: DeviceModeResource): Promise<DeviceModeObserved> {
    const paths = new Set<string>();
    const failures: { target: string; message: string }[] = [];
    for (const pattern of resource.paths) {
      try {
        for (const p of await host.glob(pattern)) paths.add(p);
      } catch (err) {
        failures.push({ target: pattern, message: errorMessage(err) });
      }
    }
    const nodes: ObservedNode[] = [];
    for (const p of [...paths].sort()) {
      try {
        const stat = await host.lstat(p);
        if (stat === null) continue; // vanished between glob and lstat
        nodes.push({ path: p, stat, ...(await ownerDisplay(host, stat.uid, stat.gid)) });
      } catch (err) {
        failures.push({ target: p, message: errorMessage(err) });
      }
    }
    return {
      uid: await lookupUid(host, resource.owner),
      gid: await lookupGid(host, resource.group),
      passwdSource: accountSource(host, 'passwd'),
      groupSource: accountSource(host, 'group'),
      nodes,
      failures,
    };
  },

  diff(resource: DeviceModeResource, observed: DeviceModeObserved): DiffResult {
    const result: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
    const unknown: string[] = [];
    if (observed.uid === null) {
      unknown.push(`user ${resource.owner} does not exist in ${observed.passwdSource}`);
    }
    if (observed.gid === null) {
      unknown.push(`group ${resource.group} does not exist in ${observed.groupSource}`);
    }
    if (unknown.length > 0) {
      result.errors.push({
        resource: resource.id,
        kind: 'device-mode',
        message: `${unknown.join('; ')}: fix the owner/group of this resource or create the account`,
      });
      return result;
    }
    const uid = observed.uid!;
    const gid = observed.gid!;
    for (const f of observed.failures) {
      result.errors.push({ resource: resource.id, kind: 'device-mode', target: f.target, message: f.message });
    }

    if (observed.nodes.length === 0 && observed.failures.length === 0) {
      result.notes.push({
        resource: resource.id,
        level: 'info',
        message: `no device nodes match ${resource.paths.join(', ')}; a host without GPUs is normal`,
      });
      return result;
    }

    for (const node of observed.nodes) {
      const { stat } = node;
      if (stat.type === 'symlink') {
        result.notes.push({
          resource: resource.id,
          level: 'info',
          target: node.path,
          message: `skipped ${node.path}: symlink (device-mode never follows symlinks)`,
        });
        continue;
      }
      if (stat.type !== 'char' && stat.type !== 'block') {
        result.notes.push({
          resource: resource.id,
          level: 'warning',
          target: node.path,
          message: `skipped ${node.path}: ${FILE_TYPE_NAMES[stat.type] ?? stat.type}, not a device node; left unchanged (check the pattern, or whether something replaced the device)`,
        });
        continue;
      }

      const attributes: Record<string, AttributeChange> = {};
      if (stat.mode !== resource.mode) {
        attributes.mode = { before: modeString(stat.mode), after: modeString(resource.mode) };
      }
      if (stat.uid !== uid) attributes.owner = { before: node.owner, after: resource.owner };
      if (stat.gid !== gid) attributes.group = { before: node.group, after: resource.group };
      const changed = Object.keys(attributes);
      if (changed.length === 0) {
        result.unchanged.push({ resource: resource.id, kind: 'device-mode', target: node.path });
        continue;
      }
      const what = changed.map((k) => `${k} ${attributes[k]!.before} -> ${attributes[k]!.after}`).join(', ');
      result.changes.push({
        resource: resource.id,
        kind: 'device-mode',
        target: node.path,
        action: 'update',
        summary: `${node.path}: ${what}`,
        attributes,
        expect: fingerprintOf(stat),
        op: { type: 'set-attributes', mode: resource.mode, uid, gid },
      });
    }
    return result;
  },
};
