// group: G contains the listed users and every member of the included groups
// (video ⊇ docker). Additive unless `exclusive`.

import { readGroup, type GroupEntry } from '../../host/group-db.js';
import type { Host } from '../../host/types.js';
import type { GroupResource } from './types.js';
import type { Change } from '../../plan/types.js';
import type { DiffResult, ResourceHandler } from '../kind.js';

export interface GroupObserved {
  /** Where groups were read, for messages: "the root's /etc/group" or NSS. */
  source: string;
  group: GroupEntry | null;
  /** Included group name -> its entry (null when missing). */
  included: Record<string, GroupEntry | null>;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function missingGroupMessage(name: string, source: string, includedBy?: string): string {
  const what = includedBy ? `group ${name} (included by group ${includedBy})` : `group ${name}`;
  const fix = includedBy
    ? `create it (groupadd ${name}) or remove it from the include list`
    : `create it (groupadd ${name}) or fix the name`;
  return `${what} does not exist in ${source}: ${fix}`;
}

export const groupHandler: ResourceHandler<GroupResource, GroupObserved> = {
  kind: 'group',

  async probe(host: Host, resource: GroupResource): Promise<GroupObserved> {
    const included: Record<string, GroupEntry | null> = {};
    for (const name of resource.include) included[name] = await readGroup(host, name);
    return {
      source: host.live ? '/etc/group or NSS (getent group)' : "the root's /etc/group",
      group: await readGroup(host, resource.group),
      included,
    };
  },

  diff(resource: GroupResource, observed: GroupObserved): DiffResult {
    const result: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
    const error = (message: string): DiffResult => {
      result.errors.push({ resource: resource.id, kind: 'group', target: resource.group, message });
      return result;
    };
    if (observed.group === null) return error(missingGroupMessage(resource.group, observed.source));
    const missing = resource.include.filter((name) => observed.included[name] == null);
    if (missing.length > 0) {
      return error(missing.map((name) => missingGroupMessage(name, observed.source, resource.group)).join('; '));
    }

    // Who brings each wanted member in, for the summary.
    const reasons = new Map<string, string>();
    for (const m of resource.members) if (!reasons.has(m)) reasons.set(m, 'listed');
    for (const name of resource.include) {
      for (const m of observed.included[name]!.members) if (!reasons.has(m)) reasons.set(m, `member of ${name}`);
    }
    const current = observed.group.members;
    const have = new Set(current);
    const add = [...reasons.keys()].filter((m) => !have.has(m)).sort(byName);
    const remove = resource.exclusive ? current.filter((m) => !reasons.has(m)).sort(byName) : [];

    if (add.length === 0 && remove.length === 0) {
      result.unchanged.push({ resource: resource.id, kind: 'group', target: resource.group });
      return result;
    }
    const parts: string[] = [];
    if (add.length > 0) {
      // "add alice, bob (member of docker); carol (listed)": one reason per run of names.
      const byReason = new Map<string, string[]>();
      for (const m of add) {
        const why = reasons.get(m)!;
        const names = byReason.get(why);
        if (names) names.push(m);
        else byReason.set(why, [m]);
      }
      parts.push(`add ${[...byReason].map(([why, names]) => `${names.join(', ')} (${why})`).join('; ')}`);
    }
    if (remove.length > 0) parts.push(`remove ${remove.join(', ')} (neither listed nor included; exclusive)`);
    const change: Change = {
      resource: resource.id,
      kind: 'group',
      target: resource.group,
      action: 'update',
      summary: `${resource.group}: ${parts.join('; ')}`,
      members: { add, remove },
      expect: { type: 'group', members: [...current] },
      op: { type: 'group-members', add, remove },
    };
    result.changes.push(change);
    return result;
  },
};
