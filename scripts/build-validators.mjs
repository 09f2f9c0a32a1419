// Build step (after tsc): compiles the JSON Schemas to standalone validation
// code in dist/validators/*.cjs, tagged with the schema's sha256 so a stale
// copy is never used (src/model/schema-validator.ts). CommonJS on purpose:
// ajv's standalone output requires its runtime helpers with require().

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { SCHEMA_NAMES, compiledFile, newAjv, schemaDigest, schemaFile } from '../dist/src/model/schema-validator.js';

for (const name of SCHEMA_NAMES) {
  const text = readFileSync(schemaFile(name), 'utf8');
  const ajv = await newAjv(name, { code: { source: true } });
  const code = standaloneCode.default(ajv, ajv.compile(JSON.parse(text)));
  const out = compiledFile(name);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaDigest(text))};\n`);
  renameSync(`${out}.tmp`, out);
  console.log(`compiled ${path.relative(process.cwd(), schemaFile(name))} -> ${path.relative(process.cwd(), out)}`);
}
