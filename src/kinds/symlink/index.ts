// kind: symlink — links with exact targets, one or many per resource.

import path from 'node:path';
import type { KindDefinition } from '../kind.js';
import { schema } from './schema.js';
import { symlinkHandler, type ObservedSymlinks } from './symlink.js';
import type { LinkSpec, SymlinkResource } from './types.js';

export const symlinkKind: KindDefinition<SymlinkResource, ObservedSymlinks> = {
  ...symlinkHandler,
  schema,
  namespace: 'path',
  normalise({ raw, base, problem, checkPaths }) {
    const single = raw.path !== undefined || raw.target !== undefined;
    const many = raw.dir !== undefined || raw.links !== undefined;
    const forms = 'either `path` and `target` (one link) or `dir` and `links` (many)';
    if (single && many) {
      throw problem([raw.path !== undefined ? 'dir' : 'links'], `a symlink resource takes ${forms}, not both`, 'split it into two resources, or use one form');
    }
    if (!single && !many) {
      throw problem([], `a symlink resource needs ${forms}`, 'add `path:` and `target:`, or `dir:` and `links:`');
    }
    const needs = (k: string, other: string) => {
      if (raw[k] === undefined) throw problem([other], `\`${other}\` needs \`${k}\` beside it`, `add \`${k}:\``);
    };
    if (single) {
      needs('path', 'target');
      needs('target', 'path');
      checkPaths('path');
      return { ...base, kind: 'symlink', links: [{ path: raw.path as string, target: raw.target as string }], form: 'single' };
    }
    needs('dir', 'links');
    needs('links', 'dir');
    checkPaths('dir');
    const dir = raw.dir as string;
    const links: LinkSpec[] = Object.entries(raw.links as Record<string, string>).map(([name, target]) => ({
      path: path.posix.join(dir, name),
      target,
    }));
    return { ...base, kind: 'symlink', links, form: { dir } };
  },
  literalTargets: (r) =>
    r.links.map((l) => ({ target: l.path, keyPath: r.form === 'single' ? ['path'] : ['links', path.posix.basename(l.path)] })),
};
