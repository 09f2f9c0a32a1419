// The `package` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description: "Debian packages installed (dpkg-query against the root's own dpkg database; apt-get install, inside the root under --root).",
  required: ["names"],
  properties: {
    names: {
      type: "array",
      minItems: 1,
      uniqueItems: true,
      items: {
        type: "string",
        pattern: "^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$",
        "x-hints": { pattern: "a Debian package name: lower-case letters, digits, `+`, `-` and `.`, at least two characters, optionally `:arch` (e.g. `python3-yaml`)" },
      },
    },
  },
};
