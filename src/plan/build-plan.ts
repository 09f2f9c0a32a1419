// Probing every resource and diffing it: the plan. Probes only read, so they
// run concurrently; results keep the order of the desired state. Two
// resources that manage one target would undo each other on every apply, so
// that target is an error for both and nothing is planned for it.

import { errorMessage, formatLocation, UserError } from '../errors.js';
import { withAccountSnapshot } from '../host/accounts.js';
import type { Host } from '../host/types.js';
import type { Resource } from '../model/types.js';
import { failedDiff, type DiffResult, type ProbeContext } from '../kinds/kind.js';
import { DEFAULT_STATE_DIR } from '../apply/state-dir.js';
import { handlerFor, kindDefinition } from '../kinds/registry.js';
import { narrowToTargets } from './targeting.js';
import { hardLinkNotes } from './hard-link-notes.js';
import type { Plan } from './types.js';
import { parentsFirst } from './parents-first.js';
import { summarise } from './summary.js';

export { summarise };

async function planResource(host: Host, resource: Resource, ctx: ProbeContext): Promise<DiffResult> {
  const handler = handlerFor(resource.kind);
  try {
    const observed = await handler.probe(host, resource, ctx);
    return handler.diff(resource, observed);
  } catch (err) {
    // One resource that cannot be probed (a refused path, an unreadable file)
    // is an error for that resource, not for the run.
    const known = err instanceof UserError || (err as NodeJS.ErrnoException).code !== undefined;
    return failedDiff(resource, known ? errorMessage(err) : `internal error while probing: ${errorMessage(err)}`);
  }
}

/** Paths and group names live in separate namespaces: a group called "x" is not the file /x. */
function targetKey(kind: Resource['kind'], target: string): string {
  return `${kindDefinition(kind).namespace}\u0000${target}`;
}

/**
 * Finds targets that more than one resource manages (among changes and
 * unchanged targets; an absent glob that matched nothing is no target) and
 * turns each into an error for every resource involved, dropping what they
 * planned for it.
 */
function refuseSharedTargets(resources: Resource[], results: DiffResult[]): void {
  const owners = new Map<string, Set<number>>();
  results.forEach((r, i) => {
    const targets = [
      ...r.changes.map((c) => c.target),
      ...r.unchanged.filter((u) => kindDefinition(u.kind).isTarget?.(u.target) ?? true).map((u) => u.target),
    ];
    for (const t of targets) {
      const key = targetKey(resources[i]!.kind, t);
      const set = owners.get(key) ?? new Set<number>();
      set.add(i);
      owners.set(key, set);
    }
  });
  for (const [key, set] of owners) {
    if (set.size < 2) continue;
    const target = key.slice(key.indexOf('\u0000') + 1);
    const involved = [...set].map((i) => resources[i]!);
    const list = involved.map((r) => `${r.id} (${formatLocation(r.source)})`).join(' and ');
    const what = kindDefinition(involved[0]!.kind).namespace === 'group' ? `group ${target}` : target;
    for (const i of set) {
      const r = results[i]!;
      const sameKey = (kind: Resource['kind'], t: string) => targetKey(kind, t) === key;
      r.changes = r.changes.filter((c) => !sameKey(c.kind, c.target));
      r.unchanged = r.unchanged.filter((u) => !sameKey(u.kind, u.target));
      r.errors.push({
        resource: resources[i]!.id,
        kind: resources[i]!.kind,
        target,
        message:
          `${what} is managed by more than one resource: ${list}. Each apply would undo the other, so nothing is planned for it. ` +
          `Fix: keep one resource for ${what} (merge them, or narrow a glob so it no longer matches).`,
      });
    }
  }
}

// Probes run concurrently, but not all at once: 10 000 probes in flight
// held 10 000 sets of buffers, stats and promises, and the garbage collector
// cost more than the probes. A few dozen keep the thread pool busy.
const PROBE_CONCURRENCY = 32;

/** fn over items, at most `limit` at a time; results in input order. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * `targets` (--target): narrow the plan to those resource ids, paths or groups; the plan then says it is partial.
 * `onProgress` hears of each resource planned (the CLI's progress line on a terminal).
 * `stateDir`: where a generator's scratch directory goes.
 */
export async function buildPlan(
  host: Host,
  resources: Resource[],
  targets: string[] = [],
  onProgress?: (done: number, total: number, resource: string) => void,
  stateDir: string = DEFAULT_STATE_DIR,
): Promise<Plan> {
  const ctx: ProbeContext = { stateDir };
  let done = 0;
  const results = await withAccountSnapshot(host, () =>
    mapLimited(resources, PROBE_CONCURRENCY, async (r) => {
      const result = await planResource(host, r, ctx);
      onProgress?.(++done, resources.length, r.id);
      return result;
    }),
  );
  refuseSharedTargets(resources, results);
  if (targets.length > 0) narrowToTargets(resources, results, targets);
  const merged = {
    changes: parentsFirst(results.flatMap((r) => r.changes)),
    unchanged: results.flatMap((r) => r.unchanged),
    notes: results.flatMap((r) => r.notes),
    errors: results.flatMap((r) => r.errors),
  };
  merged.notes.push(...(await hardLinkNotes(host, merged.changes)));
  return { ...merged, summary: summarise(merged), ...(targets.length > 0 ? { partial: { targets } } : {}) };
}
