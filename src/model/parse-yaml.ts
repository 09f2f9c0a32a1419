// YAML text -> a document we can both validate (plain JS) and point into
// (nodes with offsets), with caps so hostile or broken input fails fast.

import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import { UserError } from '../errors.js';
import type { SourceLocation } from './types.js';

/** Anchors make DRY files possible; more aliases than this is an expansion attack, not a config. */
export const MAX_ALIAS_COUNT = 100;
/** Deepest mapping/sequence nesting accepted; a real desired state needs about 5. */
export const MAX_NESTING_DEPTH = 32;
/**
 * How many nodes aliases may add when expanded. The alias count alone does not
 * bound the cost: ten aliases of a list of ten aliases of ... grow
 * geometrically within 100 aliases, and a 37 KB file expanded to minutes of
 * work. Counted on the unexpanded document, so the check itself is linear.
 */
export const MAX_ALIAS_EXPANSION = 100_000;
/** Largest desired-state file accepted, in bytes. */
export const MAX_FILE_BYTES = 1024 * 1024;

export interface ParsedYaml {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  value: unknown;
}

/** Where an offset in the text is, 1-based, as editors count. */
export function locationAt(parsed: { file: string; lineCounter: LineCounter }, offset: number): SourceLocation {
  const { line, col } = parsed.lineCounter.linePos(offset);
  return { file: parsed.file, line, column: col };
}

function fail(loc: SourceLocation, what: string, fix: string): never {
  throw new UserError(`${loc.file}:${loc.line}:${loc.column}: ${what}. Fix: ${fix}.`, loc);
}

const YAML_FIXES: Record<string, string> = {
  DUPLICATE_KEY: 'keep one of the two keys (a mapping cannot say the same key twice)',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT:
    'check the indentation here (spaces only, the same amount for keys at the same level) and that every `[` or `{` is closed',
  MISSING_CHAR: 'close the quote or bracket that starts here',
  MULTIPLE_DOCS: 'keep one YAML document per file (remove the extra `---`), or split it into several files in one directory',
  TAG_RESOLVE_FAILED: 'remove the `!` tag; desired state uses plain YAML values',
  BAD_ALIAS: 'define the anchor (`&name`) before using the alias (`*name`)',
};

/**
 * The parser reports an unclosed quote at the end of the input; the useful
 * place is where the quote opens: the last unescaped quote of that kind.
 */
function unclosedQuoteStart(text: string, e: YAMLError): number | undefined {
  const m = /^Missing closing (["'])quote/.exec(e.message);
  if (e.code !== 'MISSING_CHAR' || !m) return undefined;
  const q = m[1];
  for (let i = Math.min(e.pos[0], text.length - 1); i >= 0; i--) {
    if (text[i] !== q) continue;
    if (q === '"' && text[i - 1] === '\\') continue;
    if (q === "'" && (text[i - 1] === "'" || text[i + 1] === "'")) {
      i--;
      continue;
    }
    return i;
  }
  return undefined;
}

function yamlProblem(parsed: Omit<ParsedYaml, 'value'>, e: YAMLError, kind: 'error' | 'warning'): never {
  const quoteStart = unclosedQuoteStart(parsed.text, e);
  if (quoteStart !== undefined) {
    fail(
      locationAt(parsed, quoteStart),
      `YAML syntax error: the quoted string that starts here is never closed`,
      `add the closing ${parsed.text[quoteStart]}`,
    );
  }
  const loc = locationAt(parsed, e.pos[0]);
  // The library's message can span lines (with a code excerpt); keep the first, as one paragraph.
  const first = (e.code === 'MULTIPLE_DOCS' ? 'the file holds more than one YAML document' : e.message).split('\n')[0].replace(/\s+/g, ' ').replace(/[.:\s]+$/, '');
  const fix =
    YAML_FIXES[e.code] ?? 'check the indentation, quoting and `:` separators around this position';
  fail(loc, `YAML ${kind === 'error' ? 'syntax error' : 'problem'}: ${first}`, fix);
}

/** Depth of collection nesting, without expanding aliases (so it is cheap even for alias bombs). */
function checkDepth(parsed: Omit<ParsedYaml, 'value'>): void {
  const root = parsed.doc.contents;
  if (!root) return;
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth > MAX_NESTING_DEPTH) {
      const offset = (node as Node).range?.[0] ?? 0;
      tooDeep(locationAt(parsed, offset));
    }
    for (const item of node.items) {
      if (isPair(item)) {
        if (isCollection(item.key)) {
          // Would be stringified into a key (with a warning from the yaml
          // package on stderr); no key in our formats is a list or mapping.
          const offset = (item.key as Node).range?.[0] ?? 0;
          fail(locationAt(parsed, offset), 'a key is a list or mapping', 'keys are plain names such as `kind:`; quote the key or fix the indentation');
        }
        stack.push({ node: item.key, depth: depth + 1 });
        stack.push({ node: item.value, depth: depth + 1 });
      } else {
        stack.push({ node: item, depth: depth + 1 });
      }
    }
  }
}

/**
 * The parser recurses on flow collections and takes seconds to give up on a
 * megabyte of `[`; this scan fails such input at once. It counts brackets in
 * quoted text too, hence a bound far above MAX_NESTING_DEPTH (the exact check
 * runs on the parsed document).
 */
const MAX_UNCLOSED_FLOW = 1000;

function checkFlowDepth(file: string, text: string): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_UNCLOSED_FLOW) {
        const lineCounter = new LineCounter();
        lineCounter.addNewLine(0);
        for (let j = 0; j < i; j++) if (text.charCodeAt(j) === 0x0a) lineCounter.addNewLine(j + 1);
        tooDeep(locationAt({ file, lineCounter }, i));
      }
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      depth--;
    }
  }
}

function tooDeep(loc: SourceLocation): never {
  fail(
    loc,
    `nesting deeper than ${MAX_NESTING_DEPTH} levels`,
    'a desired state is a list of flat resources; remove the extra nesting',
  );
}

/** Parse one file's text. Rejects YAML errors and warnings, alias bombs and deep nesting. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const byteLength = Buffer.byteLength(text, 'utf8');
  if (byteLength > MAX_FILE_BYTES) {
    throw new UserError(
      `${file}: the file is ${byteLength} bytes, over the ${MAX_FILE_BYTES}-byte limit for a desired-state file. ` +
        'Fix: split it into several files in one directory and pass the directory with --desired.',
    );
  }
  checkFlowDepth(file, text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    version: '1.2',
    schema: 'core',
    uniqueKeys: true,
    merge: false,
  });
  const partial = { file, text, doc, lineCounter };
  const firstError = doc.errors[0];
  // The parser reports its own stack overflow as RESOURCE_EXHAUSTION.
  if (firstError?.code === 'RESOURCE_EXHAUSTION') tooDeep(locationAt(partial, firstError.pos[0]));
  if (firstError) yamlProblem(partial, firstError, 'error');
  if (doc.warnings.length > 0) yamlProblem(partial, doc.warnings[0], 'warning');
  checkDepth(partial);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new UserError(
      `${file}:1:1: the file is empty. Fix: start it with \`version: 1\` and a \`resources:\` list, or remove it.`,
      { file, line: 1, column: 1 },
    );
  }
  checkAliasExpansion(partial);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ReferenceError || (err instanceof Error && /alias/i.test(err.message))) {
      const alias = firstAlias(doc.contents);
      const loc = locationAt(partial, alias?.range?.[0] ?? 0);
      fail(
        loc,
        `aliases (\`*name\`) expand to more than ${MAX_ALIAS_COUNT} nodes, which looks like an alias bomb`,
        'write the values out, or use fewer anchors and aliases',
      );
    }
    throw err;
  }
  return { ...partial, value };
}

/**
 * Nodes the document has once every alias is expanded, computed with each
 * anchored node's size memoised, so the cost is linear in the written text.
 */
function checkAliasExpansion(parsed: Omit<ParsedYaml, 'value'>): void {
  const root = parsed.doc.contents;
  if (!root) return;
  const sizes = new Map<unknown, number>();
  const inProgress = new Set<unknown>();
  let costliest: { node: Node; size: number } | undefined;
  const size = (node: unknown): number => {
    if (isAlias(node)) {
      const target = node.resolve(parsed.doc);
      // An undefined or self-containing anchor is reported by toJS (BAD_ALIAS).
      if (target === undefined || inProgress.has(target)) return 1;
      const n = size(target);
      if (!costliest || n > costliest.size) costliest = { node, size: n };
      return n;
    }
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let n = 1;
    if (isCollection(node)) {
      inProgress.add(node);
      for (const item of node.items) {
        if (isPair(item)) n += size(item.key) + size(item.value);
        else n += size(item);
      }
      inProgress.delete(node);
    }
    sizes.set(node, n);
    return n;
  };
  const expanded = size(root);
  // Every written node is in `sizes` once; the rest of `expanded` is what aliases add.
  const added = expanded - sizes.size;
  if (added > MAX_ALIAS_EXPANSION) {
    fail(
      locationAt(parsed, costliest?.node.range?.[0] ?? 0),
      `aliases (\`*name\`) would expand this file by ${added} nodes (at most ${MAX_ALIAS_EXPANSION} are accepted), which looks like an alias bomb`,
      'write the values out, or use fewer anchors and aliases',
    );
  }
}

function firstAlias(root: unknown): Node | undefined {
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.shift();
    if (isAlias(node)) return node;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isPair(item)) stack.push(item.key, item.value);
        else stack.push(item);
      }
    }
  }
  return undefined;
}
