// Generators of hostile and broken desired-state input for property-based
// fuzzing (fast-check), and the judge every input must pass: the CLI exits
// 0 or 1, and on 1 prints one "reconcile: error:" message naming the file,
// never an internal error or a stack trace. Shared by
// test/safety/fuzz-desired-state.test.ts and bench/fuzz-desired-state.ts.

import { promises as fs } from 'node:fs';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { main } from '../src/cli/main.js';
import type { Output } from '../src/cli/output.js';

const TOKENS = [
  'version: 1\n', 'version: 2\n', 'resources:\n', '  - ', '    ', 'id: x\n', 'id: x\n', 'kind: file\n', 'kind: group\n',
  'kind: absent\n', 'kind: device-mode\n', 'kind: profile-env\n', 'kind: restore-original\n', 'path: /etc/x\n',
  'path: ../x\n', 'paths: [/dev/nvidia*]\n', 'content: "x"\n', 'mode: "0666"\n', 'mode: 0666\n', 'mode: 99999\n',
  'group: video\n', 'members: [a, b]\n', 'include: [docker]\n', 'env: {A: ""}\n', 'exempt: {users: [a]}\n',
  ':', ': ', '-', ' ', '  ', '\n', '\r\n', '\t', '[', ']', '{', '}', ',', '&a ', '*a ', '&b [*a, *a]\n', '<<: *a\n',
  '!!str ', '!!binary ', '!custom ', '"', "'", '"\\u0000"', '#', '|', '|-\n', '>', '---\n', '...\n', '? ', '%YAML 1.2\n',
  '%TAG ! tag:x:\n', '~', 'null', 'true', '.inf', '0x1F', '1e400', '\u0000', '\uFEFF', '\u2028', '💥', '\\',
];

/** Text built from YAML-ish tokens: mostly broken, sometimes almost valid. */
export const yamlishText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((s) => `version: 1\nresources:\n${s}`) },
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 0o777, 1e308, '', ' ', '0666', '0o666', '9999', 'root', 'nobody', '/etc/x', '../../x', '/dev/nvidia*', '[', 'a'.repeat(300)),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

type Mutation = (doc: Json, pick: number, value: unknown, key: string) => void;

function nodes(doc: Json, out: { parent: Json[] | Record<string, Json>; key: string | number }[] = []) {
  if (Array.isArray(doc)) doc.forEach((v, i) => (out.push({ parent: doc, key: i }), nodes(v, out)));
  else if (doc && typeof doc === 'object') for (const k of Object.keys(doc)) (out.push({ parent: doc, key: k }), nodes(doc[k]!, out));
  return out;
}

const MUTATIONS: Mutation[] = [
  // Replace any value with something odd.
  (doc, pick, value) => {
    const all = nodes(doc);
    const n = all[pick % all.length];
    if (n) (n.parent as Record<string | number, unknown>)[n.key] = value;
  },
  // Delete a key or an item.
  (doc, pick) => {
    const all = nodes(doc);
    const n = all[pick % all.length];
    if (!n) return;
    if (Array.isArray(n.parent)) n.parent.splice(n.key as number, 1);
    else delete (n.parent as Record<string, Json>)[n.key as string];
  },
  // Add an unknown key somewhere.
  (doc, pick, value, key) => {
    const maps = nodes(doc).filter((n) => typeof (n.parent as Record<string, Json>)[n.key as string] === 'object');
    const m = maps[pick % Math.max(1, maps.length)];
    const target = m ? ((m.parent as Record<string, Json>)[m.key as string] as Record<string, unknown>) : (doc as Record<string, unknown>);
    if (target && !Array.isArray(target)) target[key] = value;
  },
  // Duplicate a resource (duplicate ids) or the whole list.
  (doc, pick) => {
    const list = (doc as { resources?: Json[] }).resources;
    if (Array.isArray(list) && list.length > 0) list.push(structuredClone(list[pick % list.length]!));
  },
  // Nest a resource deeper and deeper.
  (doc, pick) => {
    const list = (doc as { resources?: Json[] }).resources;
    if (!Array.isArray(list) || list.length === 0) return;
    let v: Json = list[pick % list.length]!;
    for (let i = 0; i < (pick % 50) + 1; i++) v = { nested: v };
    list[pick % list.length] = v;
  },
];

/** The valid base document with one to four structural mutations, as YAML text. */
export function structuredMutations(baseText: string): fc.Arbitrary<string> {
  const base = parse(baseText) as Json;
  return fc
    .array(fc.tuple(fc.nat(MUTATIONS.length - 1), fc.nat(), weirdValue, fc.string({ maxLength: 10 })), { minLength: 1, maxLength: 4 })
    .map((steps) => {
      const doc = structuredClone(base);
      for (const [m, pick, value, key] of steps) MUTATIONS[m]!(doc, pick, value, key);
      return stringify(doc);
    });
}

/** The valid base text cut, spliced or sprinkled with tokens at random places. */
export function textMutations(baseText: string): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.nat(baseText.length), fc.nat(40), fc.constantFrom(...TOKENS)), { minLength: 1, maxLength: 5 })
    .map((edits) => {
      let text = baseText;
      for (const [at, cut, insert] of edits) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + insert + text.slice(i + cut);
      }
      return text;
    });
}

export function desiredStateInputs(baseText: string): fc.Arbitrary<string> {
  return fc.oneof(yamlishText, structuredMutations(baseText), textMutations(baseText));
}

export interface Verdict {
  code: number;
  /** Why the run does not meet the contract; undefined when it does. */
  problem?: string;
  output: string;
}

/** Writes the text to `file` and runs `reconcile --validate` in-process on it. */
export async function judge(text: string, file: string): Promise<Verdict> {
  await fs.writeFile(file, text);
  let out = '';
  let err = '';
  const io: Output = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false };
  let code: number;
  try {
    code = await main(['--validate', '--desired', file], io);
  } catch (e) {
    return { code: -1, problem: `main threw: ${(e as Error).stack}`, output: out + err };
  }
  const output = out + err;
  let problem: string | undefined;
  if (code !== 0 && code !== 1) problem = `exit code ${code}`;
  else if (/internal error/.test(err)) problem = 'internal error';
  else if (/\n\s+at .+:\d+:\d+/.test(output)) problem = 'stack trace in output';
  else if (code === 1 && !err.startsWith('reconcile: error: ')) problem = 'exit 1 without a "reconcile: error:" message';
  else if (code === 1 && !err.includes(file)) problem = 'the message does not name the file';
  else if (code === 1 && err.split('\n').filter(Boolean).length !== 1) problem = 'the message is not one paragraph';
  return { code, problem, output };
}
