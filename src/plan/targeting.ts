// --target ID_OR_TARGET: limit a plan to some resources (by id) or to single
// targets of a resource (a path or a group name), as Terraform's -target
// does. Every resource is still probed, so a target that two resources fight
// over is still refused; only the result is narrowed. An unknown selector is
// an error naming the closest id or target.

import { UserError } from '../errors.js';
import { compileGlobSegment, hasGlobMagic } from '../host/glob-pattern.js';
import { closest } from '../model/closest.js';
import type { Resource } from '../model/types.js';
import type { DiffResult } from '../kinds/kind.js';
import { kindDefinition } from '../kinds/registry.js';

/** What a resource names in its desired state: literal paths, globs, or a group. */
function declaredTargets(r: Resource): string[] {
  const kind = kindDefinition(r.kind);
  return kind.selectors?.(r) ?? kind.literalTargets(r).map((t) => t.target);
}

/** Does `pattern` (a literal or a glob, per path component) name `target`? */
function names(pattern: string, target: string): boolean {
  if (pattern === target) return true;
  if (!pattern.startsWith('/') || !target.startsWith('/') || !hasGlobMagic(pattern)) return false;
  const p = pattern.split('/');
  const t = target.split('/');
  if (p.length !== t.length) return false;
  try {
    return p.every((seg, i) => (hasGlobMagic(seg) ? compileGlobSegment(seg).test(t[i]!) : seg === t[i]));
  } catch {
    return false;
  }
}

function resultTargets(r: DiffResult): string[] {
  return [...r.changes.map((c) => c.target), ...r.unchanged.map((u) => u.target), ...r.errors.flatMap((e) => (e.target ? [e.target] : []))];
}

/**
 * Narrows `results` (one per resource, in order) to the selectors, in place.
 * Throws a UserError for a selector that is neither an id nor a target.
 */
export function narrowToTargets(resources: Resource[], results: DiffResult[], selectors: string[]): void {
  const ids = new Set(resources.map((r) => r.id));
  const known = new Set<string>();
  resources.forEach((r, i) => {
    for (const t of resultTargets(results[i]!)) known.add(t);
    for (const t of declaredTargets(r)) known.add(t);
  });
  for (const s of selectors) {
    if (ids.has(s) || known.has(s)) continue;
    if (resources.some((r) => declaredTargets(r).some((p) => names(p, s)))) continue;
    const guess = closest(s, [...ids, ...known]);
    throw new UserError(
      `--target ${s}: no resource has that id, and no resource manages that path or group${guess ? `; did you mean ${guess}?` : '.'} ` +
        'Fix: give a resource id from the desired state, or one path or group name that a resource manages (see --plan).',
    );
  }
  const byTarget = selectors.filter((s) => !ids.has(s));
  const wanted = (target: string | undefined) => target !== undefined && byTarget.includes(target);
  resources.forEach((r, i) => {
    if (selectors.includes(r.id)) return;
    const res = results[i]!;
    // A resource that could not be probed at all has errors without a target: keep them when a selector falls under it.
    const declaredHit = byTarget.some((s) => declaredTargets(r).some((p) => names(p, s)));
    res.changes = res.changes.filter((c) => wanted(c.target));
    res.unchanged = res.unchanged.filter((u) => wanted(u.target));
    res.notes = res.notes.filter((n) => wanted(n.target) || (n.target === undefined && declaredHit));
    res.errors = res.errors.filter((e) => wanted(e.target) || (e.target === undefined && declaredHit));
  });
}
