// `options MODULE NAME=VALUE ...` lines of modprobe.d(5). Module names treat
// '-' and '_' alike, as modprobe does.

import { logicalLines } from './config-files.js';

export interface ModprobeOption {
  line: number;
  module: string;
  name: string;
  value: string;
}

export function normaliseModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

/** Splits on whitespace, keeping double-quoted runs together (modprobe allows NAME="a b"). */
function words(text: string): string[] {
  const out: string[] = [];
  const re = /(?:[^\s"]+|"[^"]*")+/g;
  for (const m of text.matchAll(re)) out.push(m[0]);
  return out;
}

export function parseModprobeOptions(text: string): ModprobeOption[] {
  const out: ModprobeOption[] = [];
  for (const { line, text: l } of logicalLines(text)) {
    const trimmed = l.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const w = words(trimmed);
    if (w[0] !== 'options' || w.length < 3) continue;
    const module = normaliseModuleName(w[1]!);
    for (const pair of w.slice(2)) {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1).replace(/"/g, '');
      out.push({ line, module, name, value });
    }
  }
  return out;
}
