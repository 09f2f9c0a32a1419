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
  normalise({ raw, base, problem, checkPaths, readSource }) {
    checkPaths('path');
    const state = (raw.state as 'present' | 'absent' | undefined) ?? 'present';
    if (state === 'absent') {
      for (const k of ['content', 'source', 'validate', 'mode', 'owner', 'group']) {
        if (raw[k] !== undefined) {
          throw problem([k], `\`${k}\` has no meaning for a file with \`state: absent\``, `remove \`${k}\`, or set \`state: present\``);
        }
      }
    }
    if (raw.content !== undefined && raw.source !== undefined) {
      throw problem(['source'], 'a file takes `content` or `source`, not both', 'keep one: inline `content`, or `source:` a file in the repository');
    }
    const validate = raw.validate as string[] | undefined;
    if (validate !== undefined && !validate.some((a) => a.includes('{}'))) {
      throw problem(['validate'], 'the validator never sees the file: no argument contains `{}`', 'put `"{}"` where the staged file goes, e.g. `[visudo, -cf, "{}"]`');
    }
    const optional = <T>(k: string, f: (v: never) => T) => (raw[k] === undefined ? {} : { [k]: f(raw[k] as never) });
    const source = raw.source as string | undefined;
    return {
      ...base,
      kind: 'file',
      path: raw.path as string,
      state,
      ...optional('content', (v: string) => v),
      ...(source !== undefined ? { contentSource: source, content: readSource(['source'], source) } : {}),
      ...optional('validate', (v: string[]) => [...v]),
      ...optional('mode', parseMode),
      ...optional('owner', (v: string) => v),
      ...optional('group', (v: string) => v),
    };
  },
  literalTargets: (r) => [{ target: r.path, keyPath: ['path'] }],
  declaredModes: (r) => (r.state === 'present' && r.mode !== undefined ? [{ path: r.path, mode: r.mode, what: 'file' }] : []),
};
