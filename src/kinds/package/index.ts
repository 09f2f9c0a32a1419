// kind: package — Debian packages installed.

import type { KindDefinition } from '../kind.js';
import { packageHandler, type PackageObserved } from './package.js';
import { schema } from './schema.js';
import type { PackageResource } from './types.js';

export const packageKind: KindDefinition<PackageResource, PackageObserved> = {
  ...packageHandler,
  schema,
  namespace: 'package',
  normalise: ({ raw, base }) => ({ ...base, kind: 'package', names: raw.names as string[] }),
  literalTargets: (r) => r.names.map((n, i) => ({ target: n, keyPath: ['names', i] })),
};
