// The `restore-original` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description: "Put a saved original back over a known wrapper (atomic rename).",
  required: ["path", "original"],
  properties: {
    path: { $ref: "#/definitions/absolutePath" },
    original: { $ref: "#/definitions/absolutePath" },
    wrapperMatches: { $ref: "#/definitions/regex" },
  },
};
