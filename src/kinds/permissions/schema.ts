// The `permissions` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description:
    'Mode, owner and group over paths and globs, down whole trees with `recursive`; separate file and directory modes; execute added to scripts (`#!`) with `executableScripts`. Symlinks are never followed; other file types are left alone.',
  required: ['paths'],
  properties: {
    paths: {
      type: 'array',
      minItems: 1,
      items: { $ref: '#/definitions/absoluteGlob' },
      uniqueItems: true,
    },
    recursive: { type: 'boolean', default: false },
    mode: { $ref: '#/definitions/mode' },
    fileMode: { $ref: '#/definitions/mode' },
    dirMode: { $ref: '#/definitions/mode' },
    executableScripts: { type: 'boolean', default: false },
    owner: { $ref: '#/definitions/name' },
    group: { $ref: '#/definitions/name' },
  },
  anyOf: [
    { required: ['mode'] },
    { required: ['fileMode'] },
    { required: ['dirMode'] },
    { required: ['owner'] },
    { required: ['group'] },
    { required: ['executableScripts'] },
  ],
  'x-hints': {
    anyOf: 'say what to set: `mode`, `fileMode`, `dirMode`, `owner`, `group` or `executableScripts: true`',
  },
};
