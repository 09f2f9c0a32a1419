// The JSON Schema validators (desired state, rules, saved plans), one ajv set-up for all.
// `npm run build` compiles them to standalone code in dist/validators/, which
// saves ajv's schema compilation (~150 ms) on every run. Where there is no
// compiled copy for the schema as it is now (tests run from source, a schema
// edited since the build), the schema is compiled here, with the same options.

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import { packageRoot, readLocalText } from '../host/local-files.js';
import { loadCompiledValidator } from './compiled-validators.js';

export type SchemaName = 'desired-state' | 'rule' | 'plan' | 'journal';
export const SCHEMA_NAMES: readonly SchemaName[] = ['desired-state', 'rule', 'plan', 'journal'];

export function schemaFile(name: SchemaName): string {
  return path.join(packageRoot(), 'schema', `${name}.schema.json`);
}

export function compiledFile(name: SchemaName): string {
  return path.join(packageRoot(), 'dist', 'validators', `${name}.cjs`);
}

export function schemaDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** ajv itself is loaded only when a schema must be compiled: most runs load compiled code. */
export async function newAjv(name: SchemaName, extra: Options = {}): Promise<Ajv> {
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    discriminator: true,
    strict: true,
    // The desired-state schema says "content is required when present" with
    // a bare `required` in a then-branch, which strictRequired refuses.
    strictRequired: name === 'rule',
    ...extra,
  });
  // Annotation only: per-keyword fix hints read back by describeError.
  if (name === 'desired-state') ajv.addVocabulary(['x-hints']);
  return ajv;
}

const validators = new Map<SchemaName, Promise<ValidateFunction>>();

async function compiledFor(name: SchemaName, digest: string): Promise<ValidateFunction | null> {
  try {
    const validate = (await loadCompiledValidator(compiledFile(name), name)) as ValidateFunction & { schemaSha256?: string };
    return validate.schemaSha256 === digest ? validate : null;
  } catch {
    return null;
  }
}

/** The validator for a schema, loaded or compiled once per process. */
export function schemaValidator(name: SchemaName): Promise<ValidateFunction> {
  let v = validators.get(name);
  if (!v) {
    v = (async () => {
      const text = await readLocalText(schemaFile(name));
      return (await compiledFor(name, schemaDigest(text))) ?? (await newAjv(name)).compile(JSON.parse(text));
    })();
    validators.set(name, v);
  }
  return v;
}
