// The `symlink` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

const linkTarget = {
  title: 'symlink target',
  type: 'string',
  minLength: 1,
  pattern: '^[^\\u0000]*$',
  'x-hints': {
    type: 'a link target is a string, e.g. `/opt/ds01-infra/scripts/user/ds01-run`',
    pattern: 'a link target cannot contain a NUL character',
  },
};

export const schema: KindSchema = {
  description:
    'Symlinks with exact targets: one with `path` and `target`, or many with `dir` and `links` (link name -> target). A wrong link is replaced atomically; a regular file in the way is replaced after a backup.',
  required: [],
  properties: {
    path: { $ref: '#/definitions/absolutePath' },
    target: linkTarget,
    dir: { $ref: '#/definitions/absolutePath' },
    links: {
      type: 'object',
      minProperties: 1,
      propertyNames: {
        title: 'link name',
        pattern: '^(?!\\.\\.?$)[^/\\u0000]+$',
        'x-hints': { pattern: 'a link name is one path component: no `/`, not `.` or `..`' },
      },
      additionalProperties: linkTarget,
      'x-hints': { minProperties: 'list at least one link, e.g. `ds01-run: /opt/ds01-infra/scripts/user/ds01-run`' },
    },
  },
};
