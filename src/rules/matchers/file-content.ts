// Files over globs, recognised by what they contain rather than by one name.
// 'present': each existing file (matching `pattern`, when given) is a hit.
// 'missing': one hit when no file matches - something that must exist is gone.

import type { Host } from '../../host/types.js';
import type { FileContentMatch, Hit } from '../types.js';

export async function matchFileContent(host: Host, match: FileContentMatch): Promise<Hit[]> {
  const pattern = match.pattern === undefined ? null : new RegExp(match.pattern, 'm');
  const matching: Array<{ path: string; line?: number; text?: string }> = [];
  for (const glob of match.paths) {
    for (const p of await host.glob(glob)) {
      const st = await host.stat(p);
      if (!st || st.type !== 'file') continue;
      if (!pattern) {
        matching.push({ path: p });
        continue;
      }
      const text = await host.readText(p);
      const m = text === null ? null : pattern.exec(text);
      if (!m || text === null) continue;
      // Show the line that matched: it says more than the pattern does.
      const line = text.slice(0, m.index).split('\n').length;
      matching.push({ path: p, line, text: text.split('\n')[line - 1]!.trim() });
    }
  }
  const unique = matching.filter((m, i) => matching.findIndex((o) => o.path === m.path) === i);
  if (match.when === 'present') {
    return unique.map((m) => ({
      target: m.path,
      // The line is evidence; what it means, in words, is the rule's `message`.
      message: m.line === undefined ? `${m.path} exists.` : `${m.path} line ${m.line}: "${clip(m.text!)}".`,
    }));
  }
  if (unique.length > 0) return [];
  const where = match.paths.join(', ');
  return [
    {
      target: match.paths[0]!,
      // Never the raw regular expression: what is missing, in words, is the rule's `message`.
      message: pattern ? `no file in ${where} has the required content.` : `nothing exists at ${where}.`,
    },
  ];
}

function clip(text: string): string {
  return text.length > 160 ? `${text.slice(0, 160)}...` : text;
}
