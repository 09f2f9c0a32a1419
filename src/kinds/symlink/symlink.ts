// symlink: each link exists and points exactly where declared. A link is
// never followed: a wrong one is replaced (new link + rename), a regular
// file in the way is replaced after the shared applier backs it up, and a
// directory in the way is an error (its content is never removed for a link).

import path from 'node:path';
import type { FileStat, Host } from '../../host/types.js';
import { emptyDiff, type DiffResult, type ResourceHandler } from '../kind.js';
import { fingerprintOf } from '../shared/fingerprint.js';
import type { SymlinkResource } from './types.js';

export interface ObservedLink {
  path: string;
  stat: FileStat | null;
  /** The current link's target, when the path is a symlink. */
  current: string | null;
  /** Whether the declared target exists inside the root (a dangling link is allowed, but noted). */
  targetExists: boolean;
}

export interface ObservedSymlinks {
  links: ObservedLink[];
}

/** Where a link's target lands, inside the root. */
function resolvedTarget(linkPath: string, target: string): string {
  return path.posix.isAbsolute(target) ? target : path.posix.join(path.posix.dirname(linkPath), target);
}

export const symlinkHandler: ResourceHandler<SymlinkResource, ObservedSymlinks> = {
  kind: 'symlink',

  async probe(host: Host, res: SymlinkResource): Promise<ObservedSymlinks> {
    const links = await Promise.all(
      res.links.map(async ({ path: p, target }) => {
        const stat = await host.lstat(p);
        const current = stat?.type === 'symlink' ? await host.readlink(p) : null;
        const targetExists = (await host.lstat(resolvedTarget(p, target)).catch(() => null)) !== null;
        return { path: p, stat, current, targetExists };
      }),
    );
    return { links };
  },

  diff(res: SymlinkResource, obs: ObservedSymlinks): DiffResult {
    const out = emptyDiff();
    res.links.forEach(({ path: p, target }, i) => {
      const o = obs.links[i]!;
      const base = { resource: res.id, kind: res.kind, target: p };
      const op = { type: 'restore-symlink' as const, linkTarget: target, uid: 0, gid: 0 };
      if (!o.targetExists) {
        out.notes.push({ resource: res.id, level: 'warning', target: p, message: `${p} -> ${target}: the target does not exist (the link will dangle)` });
      }
      if (o.stat === null) {
        out.changes.push({
          ...base,
          action: 'create',
          summary: `${p}: create symlink -> ${target}`,
          attributes: { link: { before: null, after: target } },
          expect: fingerprintOf(null),
          op,
        });
        return;
      }
      if (o.stat.type === 'symlink') {
        if (o.current === target) {
          out.unchanged.push(base);
          return;
        }
        out.changes.push({
          ...base,
          action: 'update',
          summary: `${p}: symlink -> ${o.current}, should point to ${target}`,
          attributes: { link: { before: o.current, after: target } },
          expect: fingerprintOf(o.stat),
          op,
        });
        return;
      }
      if (o.stat.type === 'file') {
        out.changes.push({
          ...base,
          action: 'update',
          summary: `${p}: regular file replaced by symlink -> ${target} (the file is backed up)`,
          attributes: { link: { before: null, after: target } },
          expect: fingerprintOf(o.stat),
          op,
        });
        return;
      }
      const what = o.stat.type === 'dir' ? 'a directory' : `a ${o.stat.type}`;
      out.errors.push({
        ...base,
        message: `${p} is ${what}, not a symlink: a symlink resource never replaces it. Move it away (or remove it), then run again.`,
      });
    });
    return out;
  },
};
