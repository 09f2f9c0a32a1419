// kind: profile-env — a generated /etc/profile.d script exporting variables.

import { parseMode } from '../shared/mode.js';
import type { ObservedFile } from '../file/file.js';
import type { KindDefinition } from '../kind.js';
import { profileEnvHandler } from './profile-env.js';
import { schema } from './schema.js';
import type { ProfileEnvResource } from './types.js';

export const profileEnvKind: KindDefinition<ProfileEnvResource, ObservedFile> = {
  ...profileEnvHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, checkPaths, checkPath }) {
    checkPaths('path');
    const exempt = (raw.exempt ?? {}) as { users?: string[]; groups?: string[]; grantDir?: string };
    if (exempt.grantDir !== undefined) checkPath(['exempt', 'grantDir'], exempt.grantDir);
    return {
      ...base,
      kind: 'profile-env',
      path: raw.path as string,
      env: { ...(raw.env as Record<string, string>) },
      exempt: {
        users: exempt.users ?? [],
        groups: exempt.groups ?? [],
        ...(exempt.grantDir !== undefined ? { grantDir: exempt.grantDir } : {}),
      },
      mode: parseMode((raw.mode as string | undefined) ?? '0644'),
    };
  },
  literalTargets: (r) => [{ target: r.path, keyPath: ['path'] }],
  declaredModes: (r) => [{ path: r.path, mode: r.mode, what: 'file' }],
};
