// Rollback puts a group's member list back in its exact former order, so
// etc/group and etc/gshadow are byte-identical to before the run. Only
// under --root: the live host's order is gpasswd's business.

import { editMemberField } from '../host/group-db.js';
import { withShadowLocks } from '../host/shadow-lock.js';
import type { Host } from '../host/types.js';

/** Rewrites the member field of `group` to exactly `order`, when it holds the same names. */
export async function orderGroupMembers(host: Host, group: string, order: string[]): Promise<void> {
  const files = (await host.lstat('/etc/gshadow')) === null ? ['/etc/group'] : ['/etc/group', '/etc/gshadow'];
  await withShadowLocks(host, files, () => orderLocked(host, group, order));
}

async function orderLocked(host: Host, group: string, order: string[]): Promise<void> {
  // gshadow first, as changeGroupMembers does: a member only in gshadow grants nothing.
  for (const file of ['/etc/gshadow', '/etc/group']) {
    const st = await host.lstat(file);
    if (st?.type !== 'file') continue;
    const text = await host.readText(file);
    if (text === null) continue;
    const current = editMemberField(text, group, [], [], file);
    if (current === null) continue;
    const same = [...current.members].sort().join(',') === [...order].sort().join(',');
    if (!same || current.members.join(',') === order.join(',')) continue;
    // Take every member out, then add them back in the wanted order.
    const emptied = editMemberField(text, group, [], current.members, file)!;
    const ordered = editMemberField(emptied.text, group, order, [], file)!;
    const unchangedSince = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    await host.writeFileAtomic(file, ordered.text, { mode: st.mode, uid: st.uid, gid: st.gid, unchangedSince });
  }
}
