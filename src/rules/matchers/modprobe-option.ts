// `options MODULE OPTION=VALUE` in modprobe.d whose value is not allowed. The
// kernel reads module parameters with base 0, so values are compared as
// numbers: 438, 0666 and 0x1b6 are the same mode.

import type { Host } from '../../host/types.js';
import { effectiveConfigFiles } from '../config-files.js';
import { allowedValues, describeAllowed, formatMode, parseKernelInt } from '../kernel-int.js';
import { normaliseModuleName, parseModprobeOptions } from '../modprobe-parse.js';
import type { Hit, ModprobeOptionMatch } from '../types.js';

export async function matchModprobeOption(host: Host, match: ModprobeOptionMatch): Promise<Hit[]> {
  const module = normaliseModuleName(match.module);
  const allowed = allowedValues(match.allowed);
  const hits: Hit[] = [];
  for (const file of await effectiveConfigFiles(host, match.dirs, '.conf')) {
    const bad: string[] = [];
    for (const opt of parseModprobeOptions(file.text)) {
      if (opt.module !== module || opt.name !== match.option) continue;
      const n = parseKernelInt(opt.value);
      if (n === null) {
        bad.push(`line ${opt.line}: options ${match.module} ${opt.name}=${opt.value} is not an integer the kernel accepts`);
      } else if (!allowed.has(n)) {
        bad.push(`line ${opt.line}: options ${match.module} ${opt.name}=${opt.value} (= ${formatMode(n)})`);
      }
    }
    if (bad.length > 0) {
      hits.push({
        target: file.path,
        message: `${file.path} ${bad.join('; ')}; ${match.option} must be ${describeAllowed(match.allowed)}.`,
      });
    }
  }
  return hits;
}
