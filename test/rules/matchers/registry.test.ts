// The matcher registry and schema/rule.schema.json must name the same types:
// a type in one and not the other is a rule that validates but cannot run,
// or a matcher no rule can reach.

import { expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { MATCH_TYPES, MATCHERS } from '../../../src/rules/matchers/registry.js';
import { schemaFile } from '../../../src/model/schema-validator.js';

interface RuleSchema {
  properties: { match: { oneOf: { $ref: string }[] } };
  definitions: Record<string, { properties?: { type?: { const?: string } } }>;
}

test('every matcher type in the rule schema is registered, and every registered one is in the schema', async () => {
  const schema = JSON.parse(await fs.readFile(schemaFile('rule'), 'utf8')) as RuleSchema;
  const refs = schema.properties.match.oneOf.map((o) => o.$ref.replace('#/definitions/', ''));
  const schemaTypes = refs.map((name) => schema.definitions[name]!.properties!.type!.const);
  expect([...schemaTypes].sort()).toEqual([...MATCH_TYPES].sort());
  for (const t of MATCH_TYPES) expect(typeof MATCHERS[t]).toBe('function');
});
