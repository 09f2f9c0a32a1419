// Reading a saved plan for --apply --plan-file. A plan file decides what
// root writes, so it is checked as strictly as desired state: it must be
// JSON, say it is a reconcile plan of a version this reconcile reads, match
// schema/plan.schema.json, and carry an embedded desired state that matches
// its own digests. Anything else is one paragraph naming file:line:column.

import { promises as fs } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument, type Node } from 'yaml';
import { UserError } from '../errors.js';
import { schemaFile, schemaValidator } from '../model/schema-validator.js';
import { filesDigest, PLAN_FILE_TYPE, PLAN_FORMAT_VERSION, sha256, type SavedPlan } from './saved-plan.js';

/** Far above any real plan (a whole DS01 deploy is a few hundred KiB), far below memory trouble. */
export const MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024;

const REMAKE = 'make a new plan with `reconcile --plan --out FILE` and apply that; never edit a plan file by hand';

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

function at(file: string, text: string, offset: number): string {
  const { line, column } = lineColumn(text, offset);
  return `${file}:${line}:${column}`;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = /at position (\d+)/.exec(message);
    const offset = pos ? Number(pos[1]) : text.length;
    // The parser stopped at the very end (inside a string, or after an open brace): the file was cut short.
    const truncated = /end of JSON input|Unterminated/.test(message) || offset >= text.trimEnd().length;
    const what = truncated ? 'the file ends in the middle of the plan (truncated?)' : `not valid JSON (${message.replace(/ in JSON at position \d+.*$/, '')})`;
    throw new UserError(`${at(file, text, offset)}: ${what}, so it is not a usable plan file. Nothing was changed. Fix: ${REMAKE}.`);
  }
}

/** The offset of the value at a JSON pointer, found by parsing the JSON again as YAML (which keeps positions). */
function offsetOfPointer(text: string, pointer: string): number {
  try {
    const doc = parseDocument(text, { lineCounter: new LineCounter() });
    const keys = pointer
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    for (let n = keys.length; n >= 0; n--) {
      const node = doc.getIn(keys.slice(0, n), true) as Node | undefined;
      if (node?.range) return node.range[0];
    }
  } catch {
    /* fall through: the top of the file */
  }
  return 0;
}

/** The error worth showing: the deepest, preferring a concrete keyword over oneOf's summary. */
function mostUseful(errors: ErrorObject[]): ErrorObject | undefined {
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  return [...errors].sort((a, b) => Number(a.keyword === 'oneOf') - Number(b.keyword === 'oneOf') || depth(b) - depth(a))[0];
}

function describeSchemaError(file: string, text: string, e: ErrorObject, all: ErrorObject[]): string {
  const where = e.instancePath === '' ? 'the top level' : e.instancePath;
  let what = e.message ?? 'does not match the plan schema';
  if (e.keyword === 'const') {
    // oneOf branches each say "must be X": gather them into one list of what is allowed.
    const allowed = all.filter((x) => x.keyword === 'const' && x.instancePath === e.instancePath).map((x) => JSON.stringify((x.params as { allowedValue: unknown }).allowedValue));
    what = `${JSON.stringify(e.data)} is not allowed here (allowed: ${[...new Set(allowed)].join(', ')})`;
  }
  if (e.keyword === 'additionalProperties') what = `unknown key \`${(e.params as { additionalProperty: string }).additionalProperty}\``;
  if (e.keyword === 'required') what = `missing key \`${(e.params as { missingProperty: string }).missingProperty}\``;
  return `${at(file, text, offsetOfPointer(text, e.instancePath))}: ${where}: ${what}, so this is not a plan reconcile wrote (checked against ${schemaFile('plan')}). Nothing was changed. Fix: ${REMAKE}.`;
}

/** Checks that go beyond the schema: targets of the right form, embedded files that match their digests. */
function checkConsistency(file: string, text: string, plan: SavedPlan): void {
  const fail = (pointer: string, what: string): never => {
    throw new UserError(`${at(file, text, offsetOfPointer(text, pointer))}: ${pointer}: ${what}. Nothing was changed. Fix: ${REMAKE}.`);
  };
  plan.plan.changes.forEach((c, i) => {
    if (c.kind === 'service' || c.kind === 'package') {
      const fits = c.kind === 'service' ? c.op.type === 'service' : c.op.type === 'install-packages';
      if (!fits) fail(`/plan/changes/${i}/op`, `a ${c.kind} change cannot carry a ${c.op.type} operation`);
      return;
    }
    const isGroup = c.op.type === 'group-members';
    if (isGroup !== (c.kind === 'group')) fail(`/plan/changes/${i}/op`, `a ${c.kind} change cannot carry a ${c.op.type} operation`);
    if (!isGroup && !c.target.startsWith('/')) fail(`/plan/changes/${i}/target`, `"${c.target}" is not an absolute path inside the root`);
    if (isGroup && c.target.includes('/')) fail(`/plan/changes/${i}/target`, `"${c.target}" is not a group name`);
  });
  plan.desired.files.forEach((f, i) => {
    if (sha256(f.text) !== f.sha256) fail(`/desired/files/${i}/sha256`, `the embedded desired-state file ${f.path} does not match its sha256`);
  });
  if (filesDigest(plan.desired.files) !== plan.desired.digest) fail('/desired/digest', 'the desired-state digest does not match the embedded files');
}

async function readPlanText(file: string): Promise<string> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `${file}: cannot read the plan file (${code === 'ENOENT' ? 'no such file' : code ?? String(err)}). Nothing was changed. Fix: pass the file that \`reconcile --plan --out FILE\` wrote.`,
    );
  }
  if (!st.isFile()) throw new UserError(`${file}: not a regular file. Nothing was changed. Fix: pass the file that \`reconcile --plan --out FILE\` wrote.`);
  if (st.size > MAX_PLAN_FILE_BYTES) {
    throw new UserError(`${file}: the file is ${st.size} bytes, over the ${MAX_PLAN_FILE_BYTES}-byte limit for a plan file. Nothing was changed. Fix: ${REMAKE}.`);
  }
  if (st.size === 0) throw new UserError(`${file}:1:1: the file is empty, so it is not a plan (truncated?). Nothing was changed. Fix: ${REMAKE}.`);
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read the plan file (${(err as NodeJS.ErrnoException).code ?? String(err)}). Nothing was changed. Fix: check its permissions.`);
  }
}

export async function readSavedPlan(file: string): Promise<SavedPlan> {
  const text = await readPlanText(file);
  const value = parseJson(file, text);
  const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  if (obj === null || obj.type !== PLAN_FILE_TYPE || !('formatVersion' in obj)) {
    throw new UserError(
      `${file}:1:1: this is not a reconcile plan file (no \`"type": "${PLAN_FILE_TYPE}"\` and \`formatVersion\` at the top level). ` +
        `Nothing was changed. Fix: pass the file that \`reconcile --plan --out FILE\` wrote (the --format json output of --plan is a report, not a plan file).`,
    );
  }
  if (obj.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new UserError(
      `${at(file, text, offsetOfPointer(text, '/formatVersion'))}: the plan file has format version ${JSON.stringify(obj.formatVersion)}, ` +
        `but this reconcile reads version ${PLAN_FORMAT_VERSION} only. Nothing was changed. Fix: make and apply plans with the same version of reconcile.`,
    );
  }
  const validate = await schemaValidator('plan');
  if (!validate(value)) {
    const best = mostUseful(validate.errors ?? []);
    throw new UserError(best ? describeSchemaError(file, text, best, validate.errors ?? []) : `${file}: the plan does not match ${schemaFile('plan')}. Nothing was changed. Fix: ${REMAKE}.`);
  }
  const plan = value as unknown as SavedPlan;
  checkConsistency(file, text, plan);
  return plan;
}
