// The `absent` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description: "Paths and globs that must not exist. Directories are only removed with allowDirectories.",
  required: ["paths"],
  properties: {
    paths: {
      type: "array",
      minItems: 1,
      items: { $ref: "#/definitions/absoluteGlob" },
      uniqueItems: true,
    },
    allowDirectories: { type: "boolean", default: false },
    onlyIf: {
      description: "Guard: remove a match only when its content or link target matches.",
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      properties: {
        contentMatches: { $ref: "#/definitions/regex" },
        linkTargetMatches: { $ref: "#/definitions/regex" },
      },
      "x-hints": { minProperties: "give `contentMatches`, `linkTargetMatches` or both, or remove `onlyIf`" },
    },
  },
};
