// kind: absent — paths and globs that must not exist.

import { hasGlobMagic } from '../../host/glob-pattern.js';
import type { KindDefinition } from '../kind.js';
import { absentHandler, type ObservedAbsent } from './absent.js';
import { schema } from './schema.js';
import type { AbsentResource } from './types.js';

export const absentKind: KindDefinition<AbsentResource, ObservedAbsent> = {
  ...absentHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, checkPaths, checkRegex }) {
    checkPaths('paths', true);
    const onlyIf = raw.onlyIf as { contentMatches?: string; linkTargetMatches?: string } | undefined;
    for (const k of ['contentMatches', 'linkTargetMatches'] as const) {
      if (onlyIf?.[k] !== undefined) checkRegex(['onlyIf', k], onlyIf[k]);
    }
    return {
      ...base,
      kind: 'absent',
      paths: raw.paths as string[],
      allowDirectories: (raw.allowDirectories as boolean | undefined) ?? false,
      ...(onlyIf ? { onlyIf: { ...onlyIf } } : {}),
    };
  },
  // Globs and lists are checked at plan time, against what they match.
  literalTargets: () => [],
  selectors: (r) => r.paths,
  // A glob that matched nothing is reported unchanged, but it is no target.
  isTarget: (t) => !hasGlobMagic(t),
};
