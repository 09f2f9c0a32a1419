// A udev rule about the given devices that assigns another MODE, or whose
// RUN command matches runMatches (chmod/chgrp behind udev's back).

import type { Host } from '../../host/types.js';
import { effectiveConfigFiles } from '../config-files.js';
import { allowedValues, describeAllowed, formatMode, parseUdevMode } from '../kernel-int.js';
import { isAssignment, isMatchKey, parseUdevRules } from '../udev-parse.js';
import type { Hit, UdevRuleMatch } from '../types.js';

export async function matchUdevRule(host: Host, match: UdevRuleMatch): Promise<Hit[]> {
  const devices = new RegExp(match.devices);
  const run = match.runMatches === undefined ? null : new RegExp(match.runMatches);
  const allowed = allowedValues(match.allowedModes);
  const hits: Hit[] = [];
  for (const file of await effectiveConfigFiles(host, match.dirs, '.rules')) {
    const bad: string[] = [];
    for (const rule of parseUdevRules(file.text)) {
      const runs = rule.pairs.filter((p) => p.key === 'RUN' && isAssignment(p));
      const about =
        rule.pairs.some((p) => isMatchKey(p) && p.op === '==' && devices.test(p.value)) ||
        runs.some((p) => devices.test(p.value));
      if (!about) continue;
      for (const p of rule.pairs) {
        if (p.key !== 'MODE' || !isAssignment(p)) continue;
        const mode = parseUdevMode(p.value);
        if (mode === null || !allowed.has(mode)) {
          const shown = mode === null || formatMode(mode) === p.value ? `"${p.value}"` : `"${p.value}" (${formatMode(mode)})`;
          bad.push(`line ${rule.line} sets MODE=${shown}`);
        }
      }
      if (run) {
        for (const p of runs) {
          if (run.test(p.value)) bad.push(`line ${rule.line} runs "${p.value}"`);
        }
      }
    }
    if (bad.length > 0) {
      hits.push({
        target: file.path,
        message: `${file.path} ${bad.join('; ')} for devices matching /${match.devices}/; they must stay ${describeAllowed(match.allowedModes)}.`,
      });
    }
  }
  return hits;
}
