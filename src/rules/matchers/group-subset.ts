// Every member of some groups must also be in a group (video ⊇ docker): the
// first incident's "docker users lost video" state. Membership is read with
// readGroup, so a live host sees directory (SSSD/LDAP) groups too.

import type { Host } from '../../host/types.js';
import { readGroup } from '../../host/group-db.js';
import type { GroupSubsetMatch, Hit } from '../types.js';

export async function matchGroupSubset(host: Host, match: GroupSubsetMatch): Promise<Hit[]> {
  const required = new Set<string>();
  for (const source of match.containsMembersOf) {
    const g = await readGroup(host, source);
    for (const m of g?.members ?? []) required.add(m);
  }
  if (required.size === 0) return [];
  const group = await readGroup(host, match.group);
  const have = new Set(group?.members ?? []);
  const missing = [...required].filter((m) => !have.has(m)).sort();
  if (missing.length === 0) return [];
  const sources = match.containsMembersOf.join(', ');
  const message = group
    ? `${missing.length} member(s) of ${sources} missing from ${match.group}: ${missing.join(', ')}.`
    : `group ${match.group} does not exist, so these member(s) of ${sources} are not in it: ${missing.join(', ')}.`;
  return [{ target: match.group, message }];
}
