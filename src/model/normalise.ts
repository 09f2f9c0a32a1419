// Schema-valid YAML data -> the typed model: each kind normalises its own
// resources (src/kinds/<kind>/index.ts) through the located checks here, which
// cover what a schema cannot express well: regexes compile, paths are
// normalised, globs compile, one literal target belongs to one resource.

import path from 'node:path';
import { UserError } from '../errors.js';
import { compileGlobSegment, GlobPatternError, hasGlobMagic } from '../host/glob-pattern.js';
import type { NormaliseContext } from '../kinds/kind.js';
import { kindDefinition } from '../kinds/registry.js';
import type { ParsedYaml } from './parse-yaml.js';
import { readSourceFile } from './source-files.js';
import type { Resource } from './types.js';
import { formatKeyPath, locate, nodeLocation, type KeyPath } from './yaml-locate.js';

// The shape the schema guarantees; every field checked before we get here.
interface RawResource {
  id: string;
  kind: Resource['kind'];
  description?: string;
  [key: string]: unknown;
}

function problem(parsed: ParsedYaml, keyPath: KeyPath, what: string, fix: string): UserError {
  const found = locate(parsed, keyPath);
  const loc = nodeLocation(parsed, found.node ?? found.nearest);
  return new UserError(
    `${loc.file}:${loc.line}:${loc.column}: ${formatKeyPath(keyPath)}: ${what}. Fix: ${fix}.`,
    loc,
  );
}

export { parseMode } from '../kinds/shared/mode.js';

function checkPath(parsed: ParsedYaml, keyPath: KeyPath, p: string): void {
  if (p.includes('\0')) {
    throw problem(
      parsed,
      keyPath,
      `${JSON.stringify(p)} contains a NUL byte, which no path can hold`,
      'remove the `\\0` (or `\\x00`) escape from the path',
    );
  }
  const segments = p.split('/');
  if (segments.includes('..')) {
    throw problem(
      parsed,
      keyPath,
      `${JSON.stringify(p)} contains a \`..\` segment`,
      'write the path without `..`, as seen inside the target root (a path may not climb out of where it names)',
    );
  }
  const normal = path.posix.normalize(p).replace(/(.)\/$/, '$1');
  if (normal !== p) {
    throw problem(
      parsed,
      keyPath,
      `${JSON.stringify(p)} is not a normalised path (no \`.\` segments, doubled or trailing slashes)`,
      `write ${JSON.stringify(normal)}`,
    );
  }
}

/** Every segment of a glob compiles now, not as an internal error at plan time. */
function checkGlob(parsed: ParsedYaml, keyPath: KeyPath, p: string): void {
  for (const segment of p.split('/')) {
    if (!hasGlobMagic(segment)) continue;
    try {
      compileGlobSegment(segment);
    } catch (err) {
      if (!(err instanceof GlobPatternError)) throw err;
      throw problem(
        parsed,
        keyPath,
        `${JSON.stringify(p)} is not a valid glob: ${err.message}`,
        'write each path component with only * ? [abc] [a-z] [!x], every [ closed by ], ranges low to high',
      );
    }
  }
}

function checkRegex(parsed: ParsedYaml, keyPath: KeyPath, source: string): void {
  try {
    new RegExp(source);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    throw problem(
      parsed,
      keyPath,
      `${JSON.stringify(source)} is not a valid regular expression (${reason})`,
      'fix the pattern (JavaScript syntax; escape literal characters such as `(`, `[`, `*` and `?` with a backslash)',
    );
  }
}

/** Where `source:` paths are read from: --source, else the file's own `sources:` key. */
export interface SourceRootOption {
  /** --source DIR, as given (relative to the working directory). */
  sourceRoot?: string;
  /** Told of each source file read and its text: the load cache re-checks them on a hit. */
  onSourceRead?: (read: { root: string; rel: string; from: string; text: string }) => void;
}

function sourceRootFor(parsed: ParsedYaml, opts: SourceRootOption): { root: string; from: string } | null {
  if (opts.sourceRoot !== undefined) return { root: path.resolve(opts.sourceRoot), from: 'from --source' };
  const own = (parsed.value as { sources?: string }).sources;
  if (own === undefined) return null;
  return { root: path.resolve(path.dirname(parsed.file), own), from: `from \`sources:\` in ${parsed.file}` };
}

/** `claimed`: targets of earlier files of the same desired state, so duplicates across files are caught too. */
export function normaliseResources(parsed: ParsedYaml, claimed = new Map<string, Resource>(), opts: SourceRootOption = {}): Resource[] {
  const raw = (parsed.value as { resources: RawResource[] }).resources;
  const sources = sourceRootFor(parsed, opts);
  const resources = raw.map((r, i) => normaliseResource(parsed, r, ['resources', i], sources, opts.onSourceRead));
  refuseLiteralDuplicates(parsed, resources, claimed);
  return resources;
}

/** Two resources for one path or group would undo each other on every apply. */
function refuseLiteralDuplicates(parsed: ParsedYaml, resources: Resource[], first: Map<string, Resource>): void {
  resources.forEach((r, i) => {
    const def = kindDefinition(r.kind);
    for (const t of def.literalTargets(r)) {
      const key = `${def.namespace}\u0000${t.target}`;
      const shown = def.namespace === 'group' ? `group ${t.target}` : t.target;
      const earlier = first.get(key);
      if (earlier === undefined) {
        first.set(key, r);
        continue;
      }
      const where = earlier === r ? 'this same resource' : `resource ${earlier.id}`;
      throw problem(
        parsed,
        ['resources', i, ...t.keyPath],
        `${shown} is already managed by ${where} (${earlier.source.file}:${earlier.source.line}:${earlier.source.column}); ` +
          'two resources for one target would undo each other on every apply',
        earlier === r
          ? `name ${shown} once in ${r.id}`
          : `keep one resource for ${shown}: merge ${r.id} into ${earlier.id}, or remove one`,
      );
    }
  });
}

function normaliseResource(
  parsed: ParsedYaml,
  r: RawResource,
  at: KeyPath,
  sources: { root: string; from: string } | null,
  onSourceRead: SourceRootOption['onSourceRead'],
): Resource {
  const found = locate(parsed, at);
  const base = {
    id: r.id,
    ...(r.description !== undefined ? { description: r.description } : {}),
    source: nodeLocation(parsed, found.node),
    ...(r.notify !== undefined ? { notify: r.notify as string[] } : {}),
    ...(r.prune === true ? { prune: true } : {}),
  };
  const ctx: NormaliseContext = {
    raw: r,
    base,
    file: parsed.file,
    problem: (keyPath, what, fix) => problem(parsed, [...at, ...keyPath], what, fix),
    checkPath: (keyPath, p) => checkPath(parsed, [...at, ...keyPath], p),
    checkRegex: (keyPath, source) => checkRegex(parsed, [...at, ...keyPath], source),
    sourceRoot(keyPath) {
      if (sources === null) {
        throw problem(parsed, [...at, ...keyPath], `resource ${r.id} mounts the source root, but no source root is given`, 'pass --source DIR (the repository checkout), or set `sources:` at the top of this file (relative to it)');
      }
      return sources.root;
    },
    readSource(keyPath, rel) {
      if (rel.split('/').includes('..') || path.posix.normalize(rel) !== rel) {
        throw problem(parsed, [...at, ...keyPath], `resource ${r.id}: source ${JSON.stringify(rel)} is not a normalised relative path (no \`..\`, \`.\` or doubled slashes)`, 'write the path relative to the source root, e.g. `config/etc/motd`');
      }
      if (sources === null) {
        throw problem(parsed, [...at, ...keyPath], `resource ${r.id} reads source ${rel}, but no source root is given`, 'pass --source DIR (the repository checkout), or set `sources:` at the top of this file (relative to it)');
      }
      const read = readSourceFile(sources.root, rel, sources.from);
      if ('problem' in read) throw problem(parsed, [...at, ...keyPath], `resource ${r.id}: ${read.problem}`, read.fix);
      onSourceRead?.({ root: sources.root, rel, from: sources.from, text: read.text });
      return read.text;
    },
    checkPaths(k, globs = false) {
      const value = r[k];
      const check = (p: string, keyPath: KeyPath) => {
        checkPath(parsed, keyPath, p);
        if (globs) checkGlob(parsed, keyPath, p);
      };
      if (typeof value === 'string') check(value, [...at, k]);
      else (value as string[]).forEach((p, j) => check(p, [...at, k, j]));
    },
  };
  return kindDefinition(r.kind).normalise(ctx);
}
