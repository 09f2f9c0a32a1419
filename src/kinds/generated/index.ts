// kind: generated — files a declared generator writes, applied like any file.

import type { KindDefinition } from '../kind.js';
import { parseMode } from '../shared/mode.js';
import { generatedHandler, type ObservedGenerated } from './generated.js';
import { schema } from './schema.js';
import type { GeneratedResource } from './types.js';

export const generatedKind: KindDefinition<GeneratedResource, ObservedGenerated> = {
  ...generatedHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, problem, checkPaths, sourceRoot }) {
    checkPaths('output');
    if (raw.sourceAt !== undefined) checkPaths('sourceAt');
    const command = raw.command as string[];
    if (command[0]!.includes('{out}')) {
      throw problem(['command', 0], 'the program itself cannot be `{out}`', 'name the generator first, e.g. `[python3, gen.py, --out, "{out}"]`');
    }
    const sourceAt = raw.sourceAt as string | undefined;
    if (sourceAt !== undefined && (sourceAt === raw.output || sourceAt.startsWith(`${raw.output as string}/`) || (raw.output as string).startsWith(`${sourceAt}/`))) {
      throw problem(['sourceAt'], `the source mount ${sourceAt} and the output ${raw.output as string} overlap`, 'mount the source root somewhere else, e.g. `/opt/<project>`');
    }
    return {
      ...base,
      kind: 'generated',
      command: [...command],
      output: raw.output as string,
      ...(sourceAt !== undefined ? { sourceAt, sourceRoot: sourceRoot(['sourceAt']) } : {}),
      ...(raw.user !== undefined ? { user: raw.user as string } : {}),
      timeoutSeconds: (raw.timeoutSeconds as number | undefined) ?? 60,
      ...(raw.env !== undefined ? { env: { ...(raw.env as Record<string, string>) } } : {}),
      ...(raw.mode !== undefined ? { mode: parseMode(raw.mode as string) } : {}),
      ...(raw.directoryMode !== undefined ? { directoryMode: parseMode(raw.directoryMode as string) } : {}),
      ...(raw.owner !== undefined ? { owner: raw.owner as string } : {}),
      ...(raw.group !== undefined ? { group: raw.group as string } : {}),
    };
  },
  // Its paths are known only once the generator ran: shared targets are caught at plan time.
  literalTargets: () => [],
  declaredModes: (r) => [
    ...(r.mode !== undefined ? [{ path: `${r.output}/*`, mode: r.mode, what: 'file' as const }] : []),
    ...(r.directoryMode !== undefined ? [{ path: `${r.output}/*`, mode: r.directoryMode, what: 'directory' as const }] : []),
  ],
};
