// A tool replaced by a script that runs the saved original: the
// ub-device-create wrapper of the first incident, however it is written.
// Same predicate as the restore-original resource (src/host/wrapper-script.ts).

import type { Host } from '../../host/types.js';
import { scriptInvoking } from '../../host/wrapper-script.js';
import type { Hit, WrapsOriginalMatch } from '../types.js';

export async function matchWrapsOriginal(host: Host, match: WrapsOriginalMatch): Promise<Hit[]> {
  const hits: Hit[] = [];
  for (const path of match.paths) {
    const st = await host.stat(path);
    if (!st || st.type !== 'file') continue;
    const content = await host.readFile(path);
    if (content === null) continue;
    const original = path + match.originalSuffix;
    const evidence = scriptInvoking(content, original);
    if (!evidence) continue;
    const saved = (await host.lstat(original)) ? `the saved original ${original} is there` : `the saved original ${original} is missing`;
    hits.push({
      target: path,
      message: `${path} is ${evidence.description} that runs ${original} (line ${evidence.line}: ${evidence.text}), so every call goes through the wrapper first; ${saved}.`,
    });
  }
  return hits;
}
