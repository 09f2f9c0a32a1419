// Validating against schema/desired-state.schema.json, and turning ajv's
// errors into one paragraph a person can act on: where, what, how to fix.
// ajv's raw output never reaches the user.

import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Node } from 'yaml';
import { UserError } from '../errors.js';
import { RESOURCE_KINDS } from './types.js';
import type { ParsedYaml } from './parse-yaml.js';
import { schemaFile, schemaValidator } from './schema-validator.js';
import {
  formatKeyPath,
  locate,
  nodeLocation,
  parsePointer,
  sourceText,
  type KeyPath,
} from './yaml-locate.js';
import { closest } from './closest.js';

export function schemaPath(): string {
  return schemaFile('desired-state');
}

/** Compiled once per process (or loaded precompiled: see schema-validator.ts). */
export function desiredStateValidator(): Promise<ValidateFunction> {
  return schemaValidator('desired-state');
}

/** Throws a UserError for the most useful schema error in `parsed`, if any. */
export async function validateAgainstSchema(parsed: ParsedYaml): Promise<void> {
  const validate = await desiredStateValidator();
  if (validate(parsed.value)) return;
  const best = mostUsefulError(parsed, validate.errors ?? []);
  if (!best) {
    throw new UserError(`${parsed.file}: the desired state does not match the schema (${schemaPath()}).`);
  }
  throw describeError(parsed, best);
}

// Lower is more useful: an unknown key explains a "missing" one (a typo), a
// wrong kind explains everything else about that resource.
const RANK: Record<string, number> = {
  discriminator: 0,
  additionalProperties: 10,
  type: 20,
  const: 30,
  enum: 30,
  pattern: 30,
  propertyNames: 35,
  minItems: 40,
  minLength: 40,
  minProperties: 40,
  uniqueItems: 40,
  required: 60,
  anyOf: 70,
};

/** The one error worth showing: by RANK, then the first in the file. Shared with the rule loader. */
export function mostUsefulError(parsed: ParsedYaml, errors: ErrorObject[]): ErrorObject | undefined {
  return usefulErrors(errors)
    .map((e) => ({ e, rank: RANK[e.keyword] ?? 50, offset: offsetOf(parsed, e) }))
    .sort((a, b) => a.rank - b.rank || a.offset - b.offset)[0]?.e;
}

function usefulErrors(errors: ErrorObject[]): ErrorObject[] {
  return errors.filter(
    (e) =>
      // The branches of anyOf are reported through the anyOf's own hint.
      !/\/anyOf\/\d+\//.test(e.schemaPath) &&
      // `if` only says "then failed"; the then-error itself is listed too.
      e.keyword !== 'if' &&
      // A propertyNames failure also lists the inner error; keep the outer one.
      !(e.propertyName !== undefined && e.keyword !== 'propertyNames'),
  );
}

function errorKeyPath(e: ErrorObject): KeyPath {
  const base = parsePointer(e.instancePath);
  if (e.keyword === 'additionalProperties') return [...base, (e.params as { additionalProperty: string }).additionalProperty];
  if (e.keyword === 'required') return [...base, (e.params as { missingProperty: string }).missingProperty];
  if (e.keyword === 'propertyNames') return [...base, (e.params as { propertyName: string }).propertyName];
  return base;
}

function offsetOf(parsed: ParsedYaml, e: ErrorObject): number {
  const found = locate(parsed, errorKeyPath(e));
  return (found.key ?? found.node ?? found.nearest)?.range?.[0] ?? 0;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  boolean: 'true or false',
  number: 'a number',
  integer: 'a whole number',
  null: 'null',
};

function typeName(t: string | string[]): string {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => TYPE_NAMES[x] ?? x).join(' or ');
}

function jsType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hintFor(e: ErrorObject, fill: Record<string, string>): string | undefined {
  const hints = (e.parentSchema as { 'x-hints'?: Record<string, string> } | undefined)?.['x-hints'];
  const raw = hints?.[`${e.keyword}:${jsType(e.data)}`] ?? hints?.[e.keyword];
  return raw?.replace(/\{(\w+)\}/g, (_, k: string) => fill[k] ?? `{${k}}`);
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

const quoteList = (xs: readonly string[]) => xs.map((x) => `\`${x}\``).join(', ');

function kindOf(parsed: ParsedYaml, keyPath: KeyPath): string | undefined {
  // keyPath is inside resources[i]: find that resource's kind for context.
  if (keyPath[0] !== 'resources' || typeof keyPath[1] !== 'number') return undefined;
  const r = (parsed.value as { resources?: unknown[] }).resources?.[keyPath[1]] as { kind?: unknown } | undefined;
  return typeof r?.kind === 'string' ? r.kind : undefined;
}

export function describeError(parsed: ParsedYaml, e: ErrorObject): UserError {
  const keyPath = errorKeyPath(e);
  const found = locate(parsed, keyPath);
  const title = (e.parentSchema as { title?: string } | undefined)?.title;
  const where = formatKeyPath(keyPath);
  let node: Node | null | undefined = found.node ?? found.nearest;
  let what: string;
  let fix: string;

  switch (e.keyword) {
    case 'additionalProperties': {
      node = found.key ?? node;
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const present = Object.keys((e.data as object) ?? {});
      const missing = allowed.filter((k) => !present.includes(k));
      const guess = closest(name, missing) ?? closest(name, allowed);
      const kind = kindOf(parsed, keyPath);
      const context = keyPath.length === 1 ? 'at the top level' : kind && keyPath.length === 3 ? `in ${article(kind)} \`${kind}\` resource` : 'here';
      what = `unknown key \`${name}\` ${context}`;
      fix = guess
        ? `did you mean \`${guess}\`? The keys allowed here are ${quoteList(allowed)}`
        : `remove it; the keys allowed here are ${quoteList(allowed)}`;
      break;
    }
    case 'required': {
      const name = (e.params as { missingProperty: string }).missingProperty;
      const kind = kindOf(parsed, keyPath);
      what = `missing required key \`${name}\`${kind && keyPath.length === 3 ? ` in ${article(kind)} \`${kind}\` resource` : ''}`;
      fix = hintFor(e, {}) ?? `add \`${name}:\` to this mapping`;
      break;
    }
    case 'discriminator': {
      const p = e.params as { error: string; tagValue: unknown };
      const kinds = RESOURCE_KINDS as readonly string[];
      if (p.tagValue === undefined) {
        what = 'missing required key `kind`';
        fix = `every resource says what it is: add \`kind:\` with one of ${quoteList(kinds)}`;
        return finish(parsed, found.node ?? found.nearest, `${formatKeyPath([...keyPath, 'kind'])}: ${what}`, fix);
      }
      if (p.error === 'mapping' && typeof p.tagValue === 'string') {
        const guess = closest(p.tagValue, kinds);
        what = `unknown kind ${JSON.stringify(p.tagValue)}`;
        fix = `${guess ? `did you mean \`${guess}\`? ` : ''}\`kind\` is one of ${quoteList(kinds)}`;
      } else {
        what = `\`kind\` must be a string, not ${describeValue(p.tagValue)}`;
        fix = `write one of ${quoteList(kinds)}`;
      }
      ({ node } = locate(parsed, [...keyPath, 'kind']));
      return finish(parsed, node ?? found.nearest, `${formatKeyPath([...keyPath, 'kind'])}: ${what}`, fix);
    }
    case 'type': {
      const expected = (e.params as { type: string | string[] }).type;
      const source = sourceText(parsed, found.node);
      const quotedSource = quotedMode(source);
      what = `expected ${typeName(expected)}, found ${describeValue(e.data)}`;
      if (typeof e.data === 'number' && source !== undefined && source !== String(e.data)) {
        what += ` (written \`${source}\`)`;
      }
      fix =
        hintFor(e, { source: source ?? String(e.data), value: String(e.data), quotedSource }) ??
        `write ${typeName(expected)} here`;
      break;
    }
    case 'pattern': {
      what = title ? `${describeValue(e.data)} is not a valid ${title}` : `${describeValue(e.data)} has the wrong form`;
      fix = hintFor(e, {}) ?? `write a value matching the pattern ${(e.params as { pattern: string }).pattern}`;
      break;
    }
    case 'propertyNames': {
      node = found.key ?? node;
      const name = (e.params as { propertyName: string }).propertyName;
      const inner = (e.parentSchema as { propertyNames?: { title?: string; 'x-hints'?: Record<string, string> } })
        .propertyNames;
      what = `${JSON.stringify(name)} is not a valid ${inner?.title ?? 'key'}`;
      fix = inner?.['x-hints']?.pattern ?? 'rename the key';
      break;
    }
    case 'const': {
      const allowed = (e.params as { allowedValue: unknown }).allowedValue;
      what = `${describeValue(e.data)} is not allowed here; expected ${JSON.stringify(allowed)}`;
      fix = hintFor(e, {}) ?? `write ${JSON.stringify(allowed)}`;
      break;
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      what = `${describeValue(e.data)} is not one of ${quoteList(allowed)}`;
      fix = guess ? `did you mean \`${guess}\`?` : `write one of ${quoteList(allowed)}`;
      break;
    }
    case 'minItems':
      what = 'the list is empty';
      fix = hintFor(e, {}) ?? 'give at least one entry';
      break;
    case 'minProperties':
      what = 'the mapping is empty';
      fix = hintFor(e, {}) ?? 'give at least one entry';
      break;
    case 'minLength':
      what = 'the value is empty';
      fix = hintFor(e, {}) ?? 'write a non-empty value';
      break;
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      const list = e.data as unknown[];
      what = `${describeValue(list[j])} is listed twice (entries ${j} and ${i})`;
      fix = 'remove the duplicate';
      break;
    }
    case 'anyOf':
      what = 'this resource is incomplete';
      fix = hintFor(e, {}) ?? 'see the reference for this kind in the README';
      break;
    default:
      what = `does not satisfy the schema rule \`${e.keyword}\``;
      fix = `see ${schemaPath()}`;
  }
  return finish(parsed, node, `${where}: ${what}`, fix);
}

/** "0666" for a YAML 0666 or 0o666; otherwise the text as written. */
function quotedMode(source: string | undefined): string {
  if (!source) return '0644';
  const octal = /^0o([0-7]+)$/.exec(source);
  if (octal) return `0${octal[1]}`;
  return /^[0-9]+$/.test(source) ? source : '0644';
}

function finish(parsed: ParsedYaml, node: Parameters<typeof nodeLocation>[1], what: string, fix: string): UserError {
  const loc = nodeLocation(parsed, node);
  const sentence = (s: string) => s.replace(/\s+/g, ' ').trim().replace(/[.\s]+$/, '');
  // A fix that is a question ("did you mean `critical`?") takes no full stop after it.
  const end = (s: string) => (/[?!]$/.test(s) ? s : `${s}.`);
  return new UserError(`${loc.file}:${loc.line}:${loc.column}: ${sentence(what)}. Fix: ${end(sentence(fix))}`, loc);
}
