// Pointing back into the YAML: from a key path (as ajv and our own checks see
// the data) to the node, its line and column, and a readable `resources[2].mode`.

import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { SourceLocation } from './types.js';
import { locationAt, type ParsedYaml } from './parse-yaml.js';

export type KeyPath = Array<string | number>;

export interface Located {
  /** The value node at the path (undefined when the key is missing). */
  node?: Node;
  /** The key node, when the path ends in a mapping key. */
  key?: Node;
  /** The deepest node found on the way: the place to point at when the path is missing. */
  nearest: Node | null;
}

/** Split an ajv instancePath (JSON Pointer) into keys and indices. */
export function parsePointer(pointer: string): KeyPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

export function locate(parsed: ParsedYaml, keyPath: KeyPath): Located {
  const resolve = (n: unknown): unknown => (isAlias(n) ? n.resolve(parsed.doc) : n);
  let current = resolve(parsed.doc.contents) as Node | null;
  let key: Node | undefined;
  for (const seg of keyPath) {
    if (isMap(current)) {
      const pair = current.items.find(
        (p: Pair) => isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return { nearest: current };
      key = pair.key as Node;
      current = resolve(pair.value) as Node | null;
      if (current === null || current === undefined) return { key, nearest: key };
    } else if (isSeq(current) && typeof seg === 'number') {
      const item = current.items[seg];
      if (item === undefined) return { nearest: current };
      key = undefined;
      current = (isPair(item) ? null : resolve(item)) as Node | null;
      if (!current) return { nearest: null };
    } else {
      return { nearest: current };
    }
  }
  return { node: current ?? undefined, key, nearest: current };
}

/** The location of a node (falls back to the start of the file). */
export function nodeLocation(parsed: ParsedYaml, node: Node | null | undefined): SourceLocation {
  return locationAt(parsed, node?.range?.[0] ?? 0);
}

/** `resources[2].env.CUDA_VISIBLE_DEVICES`, quoting keys that are not plain words. */
export function formatKeyPath(keyPath: KeyPath): string {
  let out = '';
  for (const seg of keyPath) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** The exact source text of a node, e.g. `0666` for a scalar YAML read as 666. */
export function sourceText(parsed: ParsedYaml, node: Node | undefined): string | undefined {
  if (!node?.range) return undefined;
  return parsed.text.slice(node.range[0], node.range[1]).trim();
}
