// kind: restore-original — move a saved original back over a known wrapper.

import type { KindDefinition } from '../kind.js';
import { restoreOriginalHandler, type ObservedRestore } from './restore-original.js';
import { schema } from './schema.js';
import type { RestoreOriginalResource } from './types.js';

export const restoreOriginalKind: KindDefinition<RestoreOriginalResource, ObservedRestore> = {
  ...restoreOriginalHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, problem, checkPaths, checkRegex }) {
    checkPaths('path');
    checkPaths('original');
    if (raw.wrapperMatches !== undefined) checkRegex(['wrapperMatches'], raw.wrapperMatches as string);
    if (raw.path === raw.original) {
      throw problem(['original'], '`original` is the same path as `path`', 'name the saved original, e.g. the path with `.original` appended');
    }
    return {
      ...base,
      kind: 'restore-original',
      path: raw.path as string,
      original: raw.original as string,
      ...(raw.wrapperMatches !== undefined ? { wrapperMatches: raw.wrapperMatches as string } : {}),
    };
  },
  literalTargets: (r) => [{ target: r.path, keyPath: ['path'] }],
};
