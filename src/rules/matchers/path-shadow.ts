// An executable early in PATH that is a script (or a symlink to one) sitting
// in front of a command of the same name further down: the nvidia-smi
// wrapper of the second incident. Real binaries installed there are fine.
// With `unshadowed`, a script with no real command behind it fires too: a
// wrapper copy left without its tool is still what users run.

import path from 'node:path/posix';
import type { Host } from '../../host/types.js';
import type { Hit, PathShadowMatch } from '../types.js';
import { executableKind } from './executable-kind.js';

export async function matchPathShadow(host: Host, match: PathShadowMatch): Promise<Hit[]> {
  const hits: Hit[] = [];
  for (const dir of match.dirs) {
    for (const candidate of await host.glob(path.join(dir, match.names))) {
      const name = path.basename(candidate);
      const shadowed = await firstExisting(host, match.shadows.map((d) => path.join(d, name)));
      if (!shadowed && !match.unshadowed) continue;
      const kind = await executableKind(host, candidate);
      if (kind.kind !== 'script') continue;
      const lst = await host.lstat(candidate);
      const what =
        lst?.type === 'symlink'
          ? `is a symlink to ${await host.readlink(candidate)}, which is ${kind.description}`
          : `is ${kind.description}`;
      hits.push({
        target: candidate,
        message: shadowed
          ? `${candidate} ${what}, and PATH finds it before ${shadowed}: everyone running \`${name}\` gets the wrapper instead of the real tool.`
          : `${candidate} ${what}, and there is no real \`${name}\` in ${match.shadows.join(' or ')}: everyone running \`${name}\` gets the wrapper.`,
      });
    }
  }
  return hits;
}

async function firstExisting(host: Host, paths: string[]): Promise<string | null> {
  for (const p of paths) if ((await host.stat(p)) !== null) return p;
  return null;
}
