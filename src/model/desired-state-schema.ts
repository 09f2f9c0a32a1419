// The desired-state JSON Schema, assembled from the kind registry: the file
// schema/desired-state.schema.json is the published artifact, written from
// this by `npm run schema`; a test fails when the two differ.

import type { KindSchema } from '../kinds/kind.js';
import { KINDS, RESOURCE_KINDS } from '../kinds/registry.js';

/** Definitions the kinds refer to with `$ref: "#/definitions/<name>"`. */
const COMMON_DEFINITIONS = {
  id: {
    title: "resource id",
    description: "Unique across all desired-state files; shown in plans.",
    type: "string",
    pattern: "^[a-z0-9][a-z0-9._-]*$",
    "x-hints": {
      pattern: "use lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit (e.g. `gpu-awareness-profile`)",
    },
  },
  description: { description: "Free text for people: why this resource exists.", type: "string" },
  mode: {
    title: "mode",
    description: "Permission bits as a quoted octal string, e.g. \"0644\".",
    type: "string",
    pattern: "^0?[0-7]{3,4}$",
    "x-hints": {
      type: "YAML 1.2 reads an unquoted `{source}` as the number {value}, not as octal. Write the mode in quotes, e.g. `mode: \"{quotedSource}\"`",
      pattern: "a mode is 3 or 4 octal digits (0-7), optionally with a leading 0, in quotes, e.g. \"0644\" or \"0666\"",
    },
  },
  absolutePath: {
    title: "absolute path",
    description: "An absolute, normalised path inside the target root.",
    type: "string",
    pattern: "^/",
    "x-hints": {
      pattern: "paths are absolute, as seen inside the target root: start with `/` (e.g. `/etc/...`)",
    },
  },
  absoluteGlob: {
    title: "absolute path or glob",
    description: "An absolute path that may contain glob characters (* ? [...]).",
    type: "string",
    pattern: "^/",
    "x-hints": {
      pattern: "paths and globs are absolute, as seen inside the target root: start with `/` (e.g. `/dev/nvidia[0-9]*`)",
    },
  },
  regex: {
    title: "regular expression",
    description: "A JavaScript regular expression (checked when loading).",
    type: "string",
    minLength: 1,
  },
  name: {
    title: "user or group name",
    description: "A user or group name; directory-service names such as h.baker@hertie-school.lan are valid.",
    type: "string",
    pattern: "^[A-Za-z0-9._@][A-Za-z0-9._@-]*$",
    "x-hints": {
      pattern: "user and group names use letters, digits, `.`, `_`, `@` and `-`, and do not start with `-`",
    },
  },
  names: {
    type: "array",
    items: { $ref: "#/definitions/name" },
    uniqueItems: true,
  },
};

/** A kind's object schema: the keys every resource has, then the kind's own. */
function kindObjectSchema(kind: string, fragment: KindSchema): Record<string, unknown> {
  const { description, required, properties, ...rest } = fragment;
  return {
    description,
    type: 'object',
    additionalProperties: false,
    required: ['id', 'kind', ...required],
    properties: {
      id: { $ref: '#/definitions/id' },
      kind: { const: kind },
      description: { $ref: '#/definitions/description' },
      notify: { $ref: '#/definitions/notify' },
      prune: { description: 'Delete what this resource created once no resource declares it any more.', type: 'boolean', default: false },
      ...properties,
    },
    ...rest,
  };
}

export function desiredStateSchema(): Record<string, unknown> {
  const kindList = RESOURCE_KINDS.map((k) => `\`${k}\``).join(', ');
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/reconcile/reconcile/schema/desired-state.schema.json',
    title: 'reconcile desired state',
    description:
      'One YAML file (or each file of a directory) declaring what a host must look like. Paths are as seen inside the target root. Unknown keys are errors.',
    type: 'object',
    additionalProperties: false,
    required: ['version', 'resources'],
    properties: {
      version: {
        description: 'Format version; only 1 exists.',
        const: 1,
        'x-hints': { const: 'write `version: 1`' },
      },
      sources: {
        title: 'source root',
        description: 'Where `source:` paths of this file are read from, relative to this file; --source DIR overrides it.',
        type: 'string',
        minLength: 1,
      },
      resources: {
        type: 'array',
        items: { $ref: '#/definitions/resource' },
        'x-hints': { type: '`resources` is a list: start each resource with `- id: ...`' },
      },
      handlers: {
        description: 'Commands run once at the end of an apply when a resource that notifies them changed, in this order.',
        type: 'array',
        items: { $ref: '#/definitions/handler' },
        'x-hints': { type: '`handlers` is a list: start each handler with `- id: ...` and give its `command` as a list' },
      },
    },
    definitions: {
      resource: {
        type: 'object',
        required: ['kind'],
        properties: {
          kind: {
            description: 'What the resource manages; selects the keys below.',
            enum: [...RESOURCE_KINDS],
          },
        },
        discriminator: { propertyName: 'kind' },
        oneOf: RESOURCE_KINDS.map((k) => ({ $ref: `#/definitions/${k}` })),
        'x-hints': {
          required: `every resource says what it is: add \`kind:\` with one of ${kindList}`,
          type: 'each resource is a mapping of keys, written `- id: ...` with `kind:` and the rest indented under it',
        },
      },
      ...COMMON_DEFINITIONS,
      notify: {
        description: 'Ids of handlers to run at the end of the apply when this resource changed.',
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { $ref: '#/definitions/id' },
      },
      handler: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'command'],
        properties: {
          id: { $ref: '#/definitions/id' },
          description: { $ref: '#/definitions/description' },
          command: {
            description: 'The argv: a program and its arguments, no shell.',
            type: 'array',
            minItems: 1,
            items: { type: 'string', minLength: 1 },
            'x-hints': { type: 'a command is a list of arguments, no shell: `command: [systemctl, daemon-reload]`' },
          },
          runUnderRoot: { description: 'Under --root, run it inside the root (chroot); otherwise it is skipped there.', type: 'boolean', default: false },
          timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 300 },
        },
      },
      ...Object.fromEntries(RESOURCE_KINDS.map((k) => [k, kindObjectSchema(k, KINDS[k].schema)])),
    },
    'x-hints': {
      type: 'a desired-state file is a mapping: start it with `version: 1` and a `resources:` list',
    },
  };
}

/** The file's text: two-space JSON with a final newline. */
export function desiredStateSchemaText(): string {
  return `${JSON.stringify(desiredStateSchema(), null, 2)}\n`;
}
