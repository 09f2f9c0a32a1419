// kind: absent — paths and globs that must not exist. Directories only go
// when the resource says so; a guard (onlyIf) keeps real binaries that share
// a name pattern with a wrapper.

import { errorMessage } from '../../errors.js';
import type { FileStat, Host } from '../../host/types.js';
import type { AbsentResource } from './types.js';
import { hasGlobMagic } from '../../host/glob-pattern.js';
import { displayContent } from '../shared/content.js';
import { fingerprintOf } from '../shared/fingerprint.js';
import type { DiffResult, ResourceHandler } from '../kind.js';

/** Content guards read at most this much: wrappers are small, real binaries are not what we look for. */
const GUARD_READ_LIMIT = 4 * 1024 * 1024;

export interface AbsentMatch {
  path: string;
  stat: FileStat;
  linkTarget: string | null;
  /** Content of the file, or of a symlink's target inside the root; null when not read. */
  content: Buffer | null;
}

export interface ObservedAbsent {
  /**
   * Per declared pattern, what exists now; `error` when that pattern (or one
   * of its matches) cannot be probed, e.g. a parent is a symlink out of the
   * root. An error belongs to its target: the other patterns are still planned.
   */
  patterns: { pattern: string; matches: AbsentMatch[]; errors: { target: string; message: string }[] }[];
}

async function probeMatch(host: Host, path: string, res: AbsentResource): Promise<AbsentMatch | null> {
  const stat = await host.lstat(path);
  if (stat === null) return null;
  const linkTarget = stat.type === 'symlink' ? await host.readlink(path) : null;
  let content: Buffer | null = null;
  const wantContent = res.onlyIf?.contentMatches !== undefined || stat.type === 'file';
  if (wantContent && (stat.type === 'file' || stat.type === 'symlink')) {
    const target = await host.stat(path).catch(() => null);
    if (target?.type === 'file' && target.size <= GUARD_READ_LIMIT) {
      content = await host.readFile(path).catch(() => null);
    }
  }
  return { path, stat, linkTarget, content };
}

export const absentHandler: ResourceHandler<AbsentResource, ObservedAbsent> = {
  kind: 'absent',
  async probe(host, res) {
    const patterns = await Promise.all(
      res.paths.map(async (pattern) => {
        const errors: { target: string; message: string }[] = [];
        let paths: string[];
        try {
          paths = hasGlobMagic(pattern) ? await host.glob(pattern) : [pattern];
        } catch (err) {
          return { pattern, matches: [], errors: [{ target: pattern, message: errorMessage(err) }] };
        }
        const probed = await Promise.all(
          paths.map((p) =>
            probeMatch(host, p, res).catch((err: unknown) => {
              errors.push({ target: p, message: errorMessage(err) });
              return null;
            }),
          ),
        );
        return { pattern, matches: probed.filter((m): m is AbsentMatch => m !== null), errors };
      }),
    );
    return { patterns };
  },

  diff(res, obs) {
    const out: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
    const seen = new Set<string>();
    for (const { pattern, matches, errors } of obs.patterns) {
      for (const e of errors) out.errors.push({ resource: res.id, kind: res.kind, target: e.target, message: e.message });
      if (matches.length === 0 && errors.length === 0) {
        out.unchanged.push({ resource: res.id, kind: res.kind, target: pattern });
        continue;
      }
      for (const m of matches) {
        if (seen.has(m.path)) continue;
        seen.add(m.path);
        const keep = reasonToKeep(res, m);
        if (keep !== null) {
          out.notes.push({ resource: res.id, level: 'info', target: m.path, message: `left ${m.path}: ${keep}` });
          continue;
        }
        const isDir = m.stat.type === 'dir';
        out.changes.push({
          resource: res.id,
          kind: res.kind,
          target: m.path,
          action: 'delete',
          summary:
            m.stat.type === 'symlink'
              ? `${m.path}: delete symlink -> ${m.linkTarget}`
              : `${m.path}: delete ${isDir ? 'directory (recursively)' : m.stat.type === 'file' ? 'file' : m.stat.type}`,
          ...(m.stat.type === 'file' ? { content: { before: displayContent(m.content), after: null } } : {}),
          ...(m.linkTarget !== null ? { attributes: { link: { before: m.linkTarget, after: null } } } : {}),
          expect: fingerprintOf(m.stat),
          op: { type: 'remove', recursive: isDir },
        });
      }
    }
    return out;
  },
};

/** Why a match stays, or null when it should go. */
function reasonToKeep(res: AbsentResource, m: AbsentMatch): string | null {
  if (m.stat.type === 'dir' && !res.allowDirectories) {
    return 'it is a directory, and this resource does not say allowDirectories: true';
  }
  const guard = res.onlyIf;
  if (!guard) return null;
  if (m.linkTarget !== null && guard.linkTargetMatches !== undefined && new RegExp(guard.linkTargetMatches).test(m.linkTarget)) {
    return null;
  }
  if (guard.contentMatches !== undefined && m.content !== null && new RegExp(guard.contentMatches).test(m.content.toString('latin1'))) {
    return null;
  }
  if (m.stat.type === 'symlink') return `its target ${m.linkTarget} does not match the guard (not the known wrapper)`;
  return "its content does not match the guard (not the known wrapper; a real binary stays)";
}
