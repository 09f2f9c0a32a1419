// A rewrite is atomic: a new file is renamed over the old name. A file with
// other hard links is therefore split: its other names keep the old content
// (and the old mode and owner). That is safe, but worth saying in the plan.

import type { Host } from '../host/types.js';
import type { Change, Note } from './types.js';

export async function hardLinkNotes(host: Host, changes: Change[]): Promise<Note[]> {
  const notes: Note[] = [];
  for (const change of changes) {
    if (change.op.type !== 'write-file' && change.op.type !== 'rename-over') continue;
    const st = await host.lstat(change.target).catch(() => null);
    if (st?.type !== 'file' || st.nlink < 2) continue;
    const others = st.nlink - 1;
    notes.push({
      resource: change.resource,
      level: 'warning',
      target: change.target,
      message:
        `${change.target} has ${others} other hard link${others === 1 ? '' : 's'}: the rewrite puts a new file at ${change.target}, ` +
        `so the other name${others === 1 ? ' keeps' : 's keep'} the old content, mode and owner (the hard link is split). ` +
        `Find ${others === 1 ? 'it' : 'them'} with find / -xdev -samefile ${change.target} (inside the root).`,
    });
  }
  return notes;
}
