// Paths over globs whose permission bits are not allowed (a /dev/nvidia*
// node left 0660). lstat only: a symlink is never followed or judged.

import type { Host } from '../../host/types.js';
import { allowedValues, describeAllowed, formatMode } from '../kernel-int.js';
import type { Hit, PathModeMatch } from '../types.js';

export async function matchPathMode(host: Host, match: PathModeMatch): Promise<Hit[]> {
  const allowed = allowedValues(match.allowedModes);
  const hits: Hit[] = [];
  const seen = new Set<string>();
  for (const glob of match.paths) {
    for (const p of await host.glob(glob)) {
      if (seen.has(p)) continue;
      seen.add(p);
      const st = await host.lstat(p);
      if (!st || st.type === 'symlink') continue;
      if (match.fileTypes && !(match.fileTypes as string[]).includes(st.type)) continue;
      if (allowed.has(st.mode)) continue;
      hits.push({
        target: p,
        message: `${p} is mode ${formatMode(st.mode)}, not ${describeAllowed(match.allowedModes)}.`,
      });
    }
  }
  return hits;
}
