// The `directory` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description:
    'A directory that exists with mode, owner and group. Never removes or changes its content. Defaults on create: "0755" root root; otherwise unset attributes are left as they are.',
  required: ['path'],
  properties: {
    path: { $ref: '#/definitions/absolutePath' },
    mode: { $ref: '#/definitions/mode' },
    owner: { $ref: '#/definitions/name' },
    group: { $ref: '#/definitions/name' },
  },
};
