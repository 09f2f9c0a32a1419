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
    source: {
      title: "source path",
      description: "The content is this file, relative to the source root (--source DIR, or the file's `sources:`).",
      type: "string",
      pattern: "^[^/\\u0000][^\\u0000]*$",
      "x-hints": { pattern: "a source is a path relative to the source root, e.g. `config/deploy/profile.d/ds01.sh` (no leading `/`)" },
    },
    validate: {
      title: "validator command",
      description: "argv run before the file is installed; \"{}\" stands for the staged file. Non-zero exit: not installed.",
      type: "array",
      minItems: 1,
      items: { type: "string", minLength: 1, pattern: "^[^\\u0000]*$" },
      "x-hints": { minItems: "give the command and its arguments, e.g. `[visudo, -cf, \"{}\"]`", type: "`validate` is a list: the command and its arguments, e.g. `[visudo, -cf, \"{}\"]`" },
    },
    mode: { $ref: "#/definitions/mode" },
    owner: { $ref: "#/definitions/name" },
    group: { $ref: "#/definitions/name" },
  },
  // Present (the default) and no `source:`: the content is required inline.
  if: {
    not: {
      anyOf: [
        {
          properties: {
            state: { const: "absent" },
          },
          required: ["state"],
        },
        { required: ["source"] },
      ],
    },
  },
  then: {
    required: ["content"],
    "x-hints": {
      required: "a present file needs its exact `content` (use `content: |` for several lines) or a `source:` file, or set `state: absent`",
    },
  },
};
