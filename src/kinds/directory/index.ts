// kind: directory — exists with mode/owner/group; content is never touched.

import type { KindDefinition } from '../kind.js';
import { parseMode } from '../shared/mode.js';
import { directoryHandler, type ObservedDirectory } from './directory.js';
import { schema } from './schema.js';
import type { DirectoryResource } from './types.js';

export const directoryKind: KindDefinition<DirectoryResource, ObservedDirectory> = {
  ...directoryHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, checkPaths }) {
    checkPaths('path');
    return {
      ...base,
      kind: 'directory',
      path: raw.path as string,
      ...(raw.mode !== undefined ? { mode: parseMode(raw.mode as string) } : {}),
      ...(raw.owner !== undefined ? { owner: raw.owner as string } : {}),
      ...(raw.group !== undefined ? { group: raw.group as string } : {}),
    };
  },
  literalTargets: (r) => [{ target: r.path, keyPath: ['path'] }],
  declaredModes: (r) => (r.mode !== undefined ? [{ path: r.path, mode: r.mode, what: 'directory' }] : []),
};
