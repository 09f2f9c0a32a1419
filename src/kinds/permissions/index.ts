// kind: permissions — mode/owner/group over globs and trees, in place.

import type { KindDefinition } from '../kind.js';
import { parseMode } from '../shared/mode.js';
import { permissionsHandler, type ObservedPermissions } from './permissions.js';
import { schema } from './schema.js';
import type { PermissionsResource } from './types.js';

export const permissionsKind: KindDefinition<PermissionsResource, ObservedPermissions> = {
  ...permissionsHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, checkPaths }) {
    checkPaths('paths', true);
    const mode = (k: string) => (raw[k] === undefined ? undefined : parseMode(raw[k] as string));
    const fileMode = mode('fileMode') ?? mode('mode');
    const dirMode = mode('dirMode') ?? mode('mode');
    return {
      ...base,
      kind: 'permissions',
      paths: raw.paths as string[],
      recursive: (raw.recursive as boolean | undefined) ?? false,
      ...(fileMode !== undefined ? { fileMode } : {}),
      ...(dirMode !== undefined ? { dirMode } : {}),
      executableScripts: (raw.executableScripts as boolean | undefined) ?? false,
      ...(raw.owner !== undefined ? { owner: raw.owner as string } : {}),
      ...(raw.group !== undefined ? { group: raw.group as string } : {}),
    };
  },
  // Globs and trees are checked at plan time, against what they reach.
  literalTargets: () => [],
  selectors: (r) => r.paths,
  declaredModes: (r) =>
    r.paths.flatMap((p) => [
      ...(r.fileMode !== undefined ? [{ path: p, mode: r.fileMode, what: 'file' as const }] : []),
      ...(r.dirMode !== undefined ? [{ path: p, mode: r.dirMode, what: 'directory' as const }] : []),
    ]),
};
