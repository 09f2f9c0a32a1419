// udev rules files (udev(7)): one rule per logical line, comma-separated
// KEY[{attr}] OP "value" pairs.

import { logicalLines } from './config-files.js';

export interface UdevPair {
  key: string;
  attr?: string;
  op: '==' | '!=' | '=' | '+=' | '-=' | ':=';
  value: string;
}

export interface UdevRuleLine {
  line: number;
  text: string;
  pairs: UdevPair[];
}

const PAIR = /([A-Za-z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"/g;

export function parseUdevRules(text: string): UdevRuleLine[] {
  const out: UdevRuleLine[] = [];
  for (const { line, text: l } of logicalLines(text)) {
    const trimmed = l.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const pairs: UdevPair[] = [];
    for (const m of trimmed.matchAll(PAIR)) {
      pairs.push({ key: m[1]!, attr: m[2], op: m[3] as UdevPair['op'], value: m[4]! });
    }
    if (pairs.length > 0) out.push({ line, text: trimmed, pairs });
  }
  return out;
}

export function isMatchKey(pair: UdevPair): boolean {
  return pair.op === '==' || pair.op === '!=';
}

export function isAssignment(pair: UdevPair): boolean {
  return pair.op === '=' || pair.op === ':=' || pair.op === '+=';
}
