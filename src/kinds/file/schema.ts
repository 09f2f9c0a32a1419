// The `file` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description: "A file with exact content, mode and ownership; or a file that must not exist.",
  required: ["path"],
  properties: {
    path: { $ref: "#/definitions/absolutePath" },
    state: {
      enum: ["present", "absent"],
      default: "present",
    },
    content: { type: "string" },
    mode: { $ref: "#/definitions/mode" },
    owner: { $ref: "#/definitions/name" },
    group: { $ref: "#/definitions/name" },
  },
  if: {
    not: {
      properties: {
        state: { const: "absent" },
      },
      required: ["state"],
    },
  },
  then: {
    required: ["content"],
    "x-hints": {
      required: "a present file needs its exact `content` (use `content: |` for several lines), or set `state: absent`",
    },
  },
};
