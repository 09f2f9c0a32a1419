// Files over globs, recognised by what they contain rather than by one name.
// 'present': each existing file (matching `pattern`, when given) is a hit.
// 'missing': one hit when no file matches - something that must exist is gone.

import type { Host } from '../../host/types.js';
import type { FileContentMatch, Hit } from '../types.js';

export async function matchFileContent(host: Host, match: FileContentMatch): Promise<Hit[]> {
  const pattern = match.pattern === undefined ? null : new RegExp(match.pattern, 'm');
  const matching: string[] = [];
  for (const glob of match.paths) {
    for (const p of await host.glob(glob)) {
      const st = await host.stat(p);
      if (!st || st.type !== 'file') continue;
      if (pattern) {
        const text = await host.readText(p);
        if (text === null || !pattern.test(text)) continue;
      }
      matching.push(p);
    }
  }
  const unique = [...new Set(matching)];
  if (match.when === 'present') {
    return unique.map((p) => ({
      target: p,
      message: pattern ? `${p} exists and contains /${match.pattern}/.` : `${p} exists.`,
    }));
  }
  if (unique.length > 0) return [];
  const where = match.paths.join(', ');
  return [
    {
      target: match.paths[0]!,
      message: pattern
        ? `no file in ${where} contains /${match.pattern}/.`
        : `nothing exists at ${where}.`,
    },
  ];
}
