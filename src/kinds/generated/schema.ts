// The `generated` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description:
    'Files made by a generator (argv, no shell) that runs in a sandbox: the root read-only, an empty scratch directory in the state dir standing in for `output`. ' +
    'What it writes there is planned, diffed, backed up and applied like any file; it never writes to the host itself. Needs bwrap (Debian package bubblewrap).',
  required: ['command', 'output'],
  properties: {
    command: {
      title: 'generator command',
      description: 'argv, no shell. "{out}" stands for `output` as the generator sees it.',
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1, pattern: '^[^\\u0000]*$' },
      'x-hints': { type: '`command` is a list: the program and its arguments, e.g. `[python3, /opt/app/generate.py, --out, "{out}"]`' },
    },
    output: { $ref: '#/definitions/absolutePath' },
    // The source root (--source, or `sources:`), mounted read-only here inside the sandbox:
    // where the generator expects its checkout.
    sourceAt: { $ref: '#/definitions/absolutePath' },
    user: { $ref: '#/definitions/name' },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
    env: {
      description: 'Environment of the generator, besides PATH, LC_ALL=C and HOME=/.',
      type: 'object',
      additionalProperties: { type: 'string', pattern: '^[^\\u0000]*$' },
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    },
    mode: { $ref: '#/definitions/mode' },
    directoryMode: { $ref: '#/definitions/mode' },
    owner: { $ref: '#/definitions/name' },
    group: { $ref: '#/definitions/name' },
  },
};
