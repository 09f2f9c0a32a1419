// A resource handler: probe reads the host (never writes); diff is pure and
// turns desired + observed into changes. Carrying the changes out is shared by
// every kind (src/apply/operations.ts), so "apply exactly the diff" holds by
// construction: apply only ever sees the Operation a diff produced.

import type { Host } from '../host/types.js';
import type { Resource } from '../model/types.js';
import type { Change, Note, PlanError, Unchanged } from '../plan/types.js';

export interface DiffResult {
  changes: Change[];
  unchanged: Unchanged[];
  notes: Note[];
  errors: PlanError[];
}

export interface ResourceHandler<R extends Resource, Observed> {
  kind: R['kind'];
  probe(host: Host, resource: R): Promise<Observed>;
  diff(resource: R, observed: Observed): DiffResult;
}

/** A diff that is one error for the resource: it cannot be planned. */
export function failedDiff(resource: Resource, message: string, target?: string): DiffResult {
  return {
    changes: [],
    unchanged: [],
    notes: [],
    errors: [{ resource: resource.id, kind: resource.kind, ...(target !== undefined ? { target } : {}), message }],
  };
}
