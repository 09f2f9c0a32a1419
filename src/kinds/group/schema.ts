// The `group` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description: "Group membership: the group contains the listed users and every member of the included groups.",
  required: ["group"],
  properties: {
    group: { $ref: "#/definitions/name" },
    members: { $ref: "#/definitions/names", default: [] },
    include: { $ref: "#/definitions/names", default: [] },
    exclusive: { type: "boolean", default: false },
  },
  anyOf: [
    {
      required: ["members"],
      properties: {
        members: { minItems: 1, type: "array" },
      },
    },
    {
      required: ["include"],
      properties: {
        include: { minItems: 1, type: "array" },
      },
    },
  ],
  "x-hints": { anyOf: "a group resource needs at least one user in `members` or one group in `include`" },
};
