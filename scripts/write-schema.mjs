// Writes schema/desired-state.schema.json from the kind registry (after
// `npm run build`). The test test/model/desired-state-schema.test.ts fails
// until the committed file matches the registry.

import { writeFileSync, renameSync } from 'node:fs';
import { desiredStateSchemaText } from '../dist/src/model/desired-state-schema.js';
import { schemaFile } from '../dist/src/model/schema-validator.js';

const out = schemaFile('desired-state');
writeFileSync(`${out}.tmp`, desiredStateSchemaText());
renameSync(`${out}.tmp`, out);
console.log(`wrote ${out}`);
