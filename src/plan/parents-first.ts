// A directory a plan creates comes before every change beneath it. Otherwise
// a file listed earlier makes the parent itself (mkdir -p, 0755 root) and the
// directory's own create then finds it there and is skipped as stale: the
// declared mode and owner would wait for the next apply.

import type { Change } from './types.js';

function isBeneath(target: string, dir: string): boolean {
  return target.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** The changes in their order, except that each make-directory moves ahead of the first change beneath it. */
export function parentsFirst(changes: Change[]): Change[] {
  const ordered: Change[] = [];
  for (const c of changes) {
    const at = c.op.type === 'make-directory' ? ordered.findIndex((o) => isBeneath(o.target, c.target)) : -1;
    if (at === -1) ordered.push(c);
    else ordered.splice(at, 0, c);
  }
  return ordered;
}
