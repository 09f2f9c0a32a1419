// The `device-mode` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description: "Device nodes matching the globs get mode, owner and group; symlinks are never followed.",
  required: ["paths", "mode", "owner", "group"],
  properties: {
    paths: {
      type: "array",
      minItems: 1,
      items: { $ref: "#/definitions/absoluteGlob" },
      uniqueItems: true,
    },
    mode: { $ref: "#/definitions/mode" },
    owner: { $ref: "#/definitions/name" },
    group: { $ref: "#/definitions/name" },
  },
};
