// kind: device-mode — device nodes matching globs get mode, owner and group.

import { parseMode } from '../shared/mode.js';
import type { KindDefinition } from '../kind.js';
import { deviceModeHandler, type DeviceModeObserved } from './device-mode.js';
import { schema } from './schema.js';
import type { DeviceModeResource } from './types.js';

export const deviceModeKind: KindDefinition<DeviceModeResource, DeviceModeObserved> = {
  ...deviceModeHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, checkPaths }) {
    checkPaths('paths', true);
    return {
      ...base,
      kind: 'device-mode',
      paths: raw.paths as string[],
      mode: parseMode(raw.mode as string),
      owner: raw.owner as string,
      group: raw.group as string,
    };
  },
  literalTargets: () => [],
  selectors: (r) => r.paths,
  declaredModes: (r) => r.paths.map((p) => ({ path: p, mode: r.mode, what: 'device' })),
};
