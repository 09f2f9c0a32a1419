// Is a saved plan still the truth? Every target is probed again and compared
// with what the plan recorded (stat fingerprint, content digest, link target,
// group members). Each difference is said in words, so "plan is stale" names
// what changed: "/etc/group changed since the plan was made (video gained alice)".

import type { Host } from '../host/types.js';
import type { Fingerprint } from '../plan/types.js';
import { observePath, type SavedChange } from '../plan/saved-plan.js';
import { fingerprintOf, modeString } from '../kinds/shared/fingerprint.js';
import { currentFingerprint } from './operations.js';

export interface StaleTarget {
  /** What to name: a path, or /etc/group for a group's members. */
  what: string;
  /** What changed, in words. */
  change: string;
}

const typeWords: Record<string, string> = {
  file: 'a file',
  dir: 'a directory',
  symlink: 'a symlink',
  char: 'a character device',
  block: 'a block device',
  fifo: 'a FIFO',
  socket: 'a socket',
};

function groupDifference(name: string, before: string[], now: string[]): string {
  const gained = now.filter((m) => !before.includes(m));
  const lost = before.filter((m) => !now.includes(m));
  const parts = [];
  if (gained.length) parts.push(`${name} gained ${gained.join(', ')}`);
  if (lost.length) parts.push(`${name} lost ${lost.join(', ')}`);
  return parts.join('; ') || `${name}'s members changed`;
}

/** Words for how a path's fingerprint changed; null when it did not. */
function pathDifference(before: Fingerprint, now: Fingerprint): string | null {
  if (before.type === 'absent') return now.type === 'absent' ? null : `it was absent and is now ${now.type === 'path' ? typeWords[now.fileType] : 'there'}`;
  if (before.type !== 'path') return null;
  if (now.type !== 'path') return 'it was removed';
  if (now.fileType !== before.fileType) return `it was ${typeWords[before.fileType]} and is now ${typeWords[now.fileType]}`;
  const parts: string[] = [];
  if (now.mode !== before.mode) parts.push(`mode ${modeString(before.mode)} -> ${modeString(now.mode)}`);
  if (now.uid !== before.uid) parts.push(`owner uid ${before.uid} -> ${now.uid}`);
  if (now.gid !== before.gid) parts.push(`group gid ${before.gid} -> ${now.gid}`);
  if (now.dev !== before.dev || now.ino !== before.ino) parts.push('replaced by another file');
  else if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) parts.push('content changed');
  return parts.length ? parts.join(', ') : null;
}

/** What changed about a path, by fingerprint and then by what a stat cannot show. */
async function pathStaleness(
  host: Host,
  p: string,
  expect: Fingerprint,
  observed: { sha256?: string; linkTarget?: string },
): Promise<string | null> {
  const now = fingerprintOf(await host.lstat(p));
  const seen = await observePath(host, p, now);
  // A symlink re-pointed is said as such, whether or not its inode changed.
  if (observed.linkTarget !== undefined && seen.linkTarget !== undefined && seen.linkTarget !== observed.linkTarget) {
    return `it now points at ${seen.linkTarget}, not ${observed.linkTarget}`;
  }
  const byStat = pathDifference(expect, now);
  if (byStat !== null) return byStat;
  if (observed.sha256 !== undefined && seen.sha256 !== undefined && seen.sha256 !== observed.sha256) return 'content changed';
  return null;
}

/** The targets of `changes` that are no longer as planned; [] when the plan still holds. */
export async function staleTargets(host: Host, changes: SavedChange[]): Promise<StaleTarget[]> {
  const stale: StaleTarget[] = [];
  for (const change of changes) {
    try {
      if (change.expect.type === 'service' || change.expect.type === 'package') {
        const now = await currentFingerprint(host, change);
        if (JSON.stringify(now) !== JSON.stringify(change.expect)) stale.push({ what: change.target, change: `it is now ${JSON.stringify(now)}` });
        continue;
      }
      if (change.op.type === 'group-members') {
        const now = await currentFingerprint(host, change);
        const before = change.expect.type === 'group' ? change.expect.members : [];
        if (now.type !== 'group') stale.push({ what: '/etc/group', change: `group ${change.target} no longer exists` });
        else if (change.expect.type !== 'group') stale.push({ what: '/etc/group', change: `group ${change.target} exists now` });
        else if ([...before].sort().join('\n') !== [...now.members].sort().join('\n')) {
          stale.push({ what: '/etc/group', change: groupDifference(change.target, before, now.members) });
        }
        continue;
      }
      const why = await pathStaleness(host, change.target, change.expect, change.observed ?? {});
      if (why !== null) stale.push({ what: change.target, change: why });
      const from = change.observed?.from;
      if (change.op.type === 'rename-over' && from !== undefined) {
        const fromWhy = await pathStaleness(host, change.op.from, from.expect, from);
        if (fromWhy !== null) stale.push({ what: change.op.from, change: fromWhy });
      }
    } catch (err) {
      stale.push({ what: change.target, change: `it cannot be probed again (${(err as Error).message})` });
    }
  }
  return stale;
}

export function staleMessage(stale: StaleTarget[]): string {
  const each = stale.map((s) => `${s.what} changed since the plan was made (${s.change})`).join('; ');
  return `plan is stale: ${each}; run --plan again and review the new plan. Nothing was changed.`;
}
