// A `Key: value` file such as /proc/driver/nvidia/params (the driver prints
// "DeviceFileMode: 438"). Values compare as base-0 integers. A missing file
// (no driver loaded) or key is quiet: there is nothing to judge.

import type { Host } from '../../host/types.js';
import { allowedValues, parseKernelInt } from '../kernel-int.js';
import type { Hit, KeyValueFileMatch } from '../types.js';

export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    // Split at the first colon and trim, rather than a regex with a lazy
    // group before trailing spaces, which is quadratic on a long blank run.
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    if (key === '' || /\s/.test(key)) continue;
    out.set(key, line.slice(colon + 1).trim());
  }
  return out;
}

export async function matchKeyValueFile(host: Host, match: KeyValueFileMatch): Promise<Hit[]> {
  const text = await host.readText(match.path);
  if (text === null) return [];
  const values = parseKeyValues(text);
  const bad: string[] = [];
  for (const k of match.keys) {
    const name = [k.key, ...(k.aliases ?? [])].find((n) => values.has(n));
    if (name === undefined) continue;
    const raw = values.get(name)!;
    const n = parseKernelInt(raw);
    if (n === null || !allowedValues(k.allowed).has(n)) {
      bad.push(`${name}: ${raw} (expected ${k.allowed.join(' or ')})`);
    }
  }
  if (bad.length === 0) return [];
  return [{ target: match.path, message: `${match.path} shows ${bad.join(', ')}.` }];
}
