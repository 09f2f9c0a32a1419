// Schema-valid YAML data -> the typed model: modes as numbers, defaults
// filled in, each resource knowing where it was declared. Also the checks a
// schema cannot express well: regexes compile, paths are normalised.

import path from 'node:path';
import { UserError } from '../errors.js';
import { compileGlobSegment, GlobPatternError, hasGlobMagic } from '../host/glob-pattern.js';
import type { ParsedYaml } from './parse-yaml.js';
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

export function parseMode(mode: string): number {
  return parseInt(mode, 8);
}

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

/** `claimed`: targets of earlier files of the same desired state, so duplicates across files are caught too. */
export function normaliseResources(parsed: ParsedYaml, claimed = new Map<string, Resource>()): Resource[] {
  const raw = (parsed.value as { resources: RawResource[] }).resources;
  const resources = raw.map((r, i) => normaliseResource(parsed, r, ['resources', i]));
  refuseLiteralDuplicates(parsed, resources, claimed);
  return resources;
}

/** The one literal target a resource names, and its key; globs and lists are checked at plan time. */
function literalTarget(r: Resource): { key: string; target: string; field: string } | null {
  switch (r.kind) {
    case 'file':
    case 'profile-env':
    case 'restore-original':
      return { key: `path\u0000${r.path}`, target: r.path, field: 'path' };
    case 'group':
      return { key: `group\u0000${r.group}`, target: `group ${r.group}`, field: 'group' };
    default:
      return null;
  }
}

/** Two resources for one path or group would undo each other on every apply. */
function refuseLiteralDuplicates(parsed: ParsedYaml, resources: Resource[], first: Map<string, Resource>): void {
  resources.forEach((r, i) => {
    const t = literalTarget(r);
    if (t === null) return;
    const earlier = first.get(t.key);
    if (earlier === undefined) {
      first.set(t.key, r);
      return;
    }
    throw problem(
      parsed,
      ['resources', i, t.field],
      `${t.target} is already managed by resource ${earlier.id} (${earlier.source.file}:${earlier.source.line}:${earlier.source.column}); ` +
        'two resources for one target would undo each other on every apply',
      `keep one resource for ${t.target}: merge ${r.id} into ${earlier.id}, or remove one`,
    );
  });
}

function normaliseResource(parsed: ParsedYaml, r: RawResource, at: KeyPath): Resource {
  const found = locate(parsed, at);
  const base = {
    id: r.id,
    ...(r.description !== undefined ? { description: r.description } : {}),
    source: nodeLocation(parsed, found.node),
  };
  const str = (k: string) => r[k] as string;
  const optional = <T>(k: string, f: (v: never) => T) =>
    r[k] === undefined ? {} : { [k]: f(r[k] as never) };
  const checkPaths = (k: string, globs = false) => {
    const value = r[k];
    const check = (p: string, keyPath: KeyPath) => {
      checkPath(parsed, keyPath, p);
      if (globs) checkGlob(parsed, keyPath, p);
    };
    if (typeof value === 'string') check(value, [...at, k]);
    else (value as string[]).forEach((p, j) => check(p, [...at, k, j]));
  };

  switch (r.kind) {
    case 'file': {
      checkPaths('path');
      const state = (r.state as 'present' | 'absent' | undefined) ?? 'present';
      if (state === 'absent') {
        for (const k of ['content', 'mode', 'owner', 'group']) {
          if (r[k] !== undefined) {
            throw problem(
              parsed,
              [...at, k],
              `\`${k}\` has no meaning for a file with \`state: absent\``,
              `remove \`${k}\`, or set \`state: present\``,
            );
          }
        }
      }
      return {
        ...base,
        kind: 'file',
        path: str('path'),
        state,
        ...optional('content', (v: string) => v),
        ...optional('mode', parseMode),
        ...optional('owner', (v: string) => v),
        ...optional('group', (v: string) => v),
      };
    }
    case 'absent': {
      checkPaths('paths', true);
      const onlyIf = r.onlyIf as { contentMatches?: string; linkTargetMatches?: string } | undefined;
      for (const k of ['contentMatches', 'linkTargetMatches'] as const) {
        if (onlyIf?.[k] !== undefined) checkRegex(parsed, [...at, 'onlyIf', k], onlyIf[k]);
      }
      return {
        ...base,
        kind: 'absent',
        paths: r.paths as string[],
        allowDirectories: (r.allowDirectories as boolean | undefined) ?? false,
        ...(onlyIf ? { onlyIf: { ...onlyIf } } : {}),
      };
    }
    case 'profile-env': {
      checkPaths('path');
      const exempt = (r.exempt ?? {}) as { users?: string[]; groups?: string[]; grantDir?: string };
      if (exempt.grantDir !== undefined) checkPath(parsed, [...at, 'exempt', 'grantDir'], exempt.grantDir);
      return {
        ...base,
        kind: 'profile-env',
        path: str('path'),
        env: { ...(r.env as Record<string, string>) },
        exempt: {
          users: exempt.users ?? [],
          groups: exempt.groups ?? [],
          ...(exempt.grantDir !== undefined ? { grantDir: exempt.grantDir } : {}),
        },
        mode: parseMode((r.mode as string | undefined) ?? '0644'),
      };
    }
    case 'group':
      return {
        ...base,
        kind: 'group',
        group: str('group'),
        members: (r.members as string[] | undefined) ?? [],
        include: (r.include as string[] | undefined) ?? [],
        exclusive: (r.exclusive as boolean | undefined) ?? false,
      };
    case 'device-mode':
      checkPaths('paths', true);
      return {
        ...base,
        kind: 'device-mode',
        paths: r.paths as string[],
        mode: parseMode(str('mode')),
        owner: str('owner'),
        group: str('group'),
      };
    case 'restore-original':
      checkPaths('path');
      checkPaths('original');
      checkRegex(parsed, [...at, 'wrapperMatches'], str('wrapperMatches'));
      if (str('path') === str('original')) {
        throw problem(
          parsed,
          [...at, 'original'],
          '`original` is the same path as `path`',
          'name the saved original, e.g. the path with `.original` appended',
        );
      }
      return {
        ...base,
        kind: 'restore-original',
        path: str('path'),
        original: str('original'),
        wrapperMatches: str('wrapperMatches'),
      };
  }
}
