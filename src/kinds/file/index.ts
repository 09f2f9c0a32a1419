// kind: file — a path with exact content, mode and ownership; or absent.

import { parseMode } from '../shared/mode.js';
import type { KindDefinition } from '../kind.js';
import { fileHandler, type ObservedFile } from './file.js';
import { schema } from './schema.js';
import type { FileResource } from './types.js';

export const fileKind: KindDefinition<FileResource, ObservedFile> = {
  ...fileHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, problem, checkPaths }) {
    checkPaths('path');
    const state = (raw.state as 'present' | 'absent' | undefined) ?? 'present';
    if (state === 'absent') {
      for (const k of ['content', 'mode', 'owner', 'group']) {
        if (raw[k] !== undefined) {
          throw problem([k], `\`${k}\` has no meaning for a file with \`state: absent\``, `remove \`${k}\`, or set \`state: present\``);
        }
      }
    }
    const optional = <T>(k: string, f: (v: never) => T) => (raw[k] === undefined ? {} : { [k]: f(raw[k] as never) });
    return {
      ...base,
      kind: 'file',
      path: raw.path as string,
      state,
      ...optional('content', (v: string) => v),
      ...optional('mode', parseMode),
      ...optional('owner', (v: string) => v),
      ...optional('group', (v: string) => v),
    };
  },
  literalTargets: (r) => [{ target: r.path, keyPath: ['path'] }],
};
