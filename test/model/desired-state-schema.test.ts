// schema/desired-state.schema.json is the published artifact; the kind
// registry is where kinds are declared. They must agree, key for key.

import { expect, test } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { desiredStateSchemaText } from '../../src/model/desired-state-schema.js';
import { schemaPath } from '../../src/model/schema-errors.js';
import { KINDS, RESOURCE_KINDS } from '../../src/kinds/registry.js';

test('the committed schema is the one the kind registry generates (else: npm run schema)', async () => {
  expect(await fs.readFile(schemaPath(), 'utf8')).toBe(desiredStateSchemaText());
});

test('every registered kind has its definition, and each definition is registered', async () => {
  const schema = JSON.parse(await fs.readFile(schemaPath(), 'utf8'));
  const kindDefs = Object.entries(schema.definitions as Record<string, { properties?: { kind?: { const?: string } } }>)
    .filter(([, d]) => d.properties?.kind?.const !== undefined)
    .map(([name, d]) => [name, d.properties!.kind!.const]);
  expect(kindDefs).toEqual(RESOURCE_KINDS.map((k) => [k, k]));
  for (const [key, def] of Object.entries(KINDS)) expect(def.kind).toBe(key);
});

describe('the saved-plan schema knows every kind', () => {
  it('its kind enum is the registry', async () => {
    const { RESOURCE_KINDS } = await import('../../src/kinds/registry.js');
    const { readFile } = await import('node:fs/promises');
    const planSchema = JSON.parse(await readFile('schema/plan.schema.json', 'utf8')) as { definitions: { kind: { enum: string[] } } };
    expect([...planSchema.definitions.kind.enum].sort()).toEqual([...RESOURCE_KINDS].sort());
  });
});
