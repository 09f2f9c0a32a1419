// The `profile-env` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description: "A generated /etc/profile.d script exporting variables in login shells of non-exempt users.",
  required: ["path", "env"],
  properties: {
    path: {
      title: "profile.d script path",
      type: "string",
      pattern: "^/etc/profile\\.d/[A-Za-z0-9._-]+\\.sh$",
      "x-hints": {
        pattern: "login shells only read `/etc/profile.d/*.sh`: use a path like `/etc/profile.d/ds01-gpu-awareness.sh`",
      },
    },
    env: {
      type: "object",
      minProperties: 1,
      propertyNames: {
        title: "variable name",
        pattern: "^[A-Za-z_][A-Za-z0-9_]*$",
        "x-hints": {
          pattern: "a shell variable name uses letters, digits and `_` and does not start with a digit",
        },
      },
      additionalProperties: {
        title: "shell value",
        type: "string",
        pattern: "^[^\\u0000]*$",
        "x-hints": {
          type: "values are strings: quote them, e.g. `CUDA_VISIBLE_DEVICES: \"\"`",
          pattern: "a shell value cannot contain a NUL character",
        },
      },
      "x-hints": { minProperties: "list at least one variable, e.g. `CUDA_VISIBLE_DEVICES: \"\"`" },
    },
    exempt: {
      type: "object",
      additionalProperties: false,
      properties: {
        users: { $ref: "#/definitions/names" },
        groups: { $ref: "#/definitions/names" },
        grantDir: { $ref: "#/definitions/absolutePath" },
      },
    },
    mode: { $ref: "#/definitions/mode", default: "0644" },
  },
};
