// What a kind is: one folder under src/kinds/ exporting a KindDefinition —
// its schema fragment, normalising, literal targets and target namespace, a
// probe that reads the host (never writes) and a pure diff that turns desired
// + observed into changes. Carrying the changes out is shared by every kind
// (src/apply/operations.ts), so "apply exactly the diff" holds by
// construction: apply only ever sees the Operation a diff produced.

import type { UserError } from '../errors.js';
import type { Host } from '../host/types.js';
import type { SourceLocation } from '../model/types.js';
import type { KeyPath } from '../model/yaml-locate.js';
import type { Change, Note, PlanError, Unchanged } from '../plan/types.js';

/** Keys every resource has, whatever its kind (the schema generator adds them to each kind). */
export interface ResourceBase {
  id: string;
  description?: string;
  source: SourceLocation;
  /** Handler ids to run at the end of the apply when this resource changed. */
  notify?: string[];
  /** Paths this resource creates are deleted once no resource declares them (src/plan/prune.ts). */
  prune?: boolean;
}

export interface DiffResult {
  changes: Change[];
  unchanged: Unchanged[];
  notes: Note[];
  errors: PlanError[];
}

export interface ResourceHandler<R extends ResourceBase & { kind: string }, Observed> {
  kind: R['kind'];
  probe(host: Host, resource: R, ctx?: ProbeContext): Promise<Observed>;
  diff(resource: R, observed: Observed): DiffResult;
}

/**
 * What a kind's normalise gets: the schema-valid raw mapping, the base fields
 * already filled in, and located checks. Key paths are relative to the resource.
 */
export interface NormaliseContext {
  raw: Record<string, unknown>;
  base: ResourceBase;
  /** The desired-state file the resource is in, as given (for paths relative to it). */
  file: string;
  /** A located bad-input error at a key of this resource. */
  problem(keyPath: KeyPath, what: string, fix: string): UserError;
  /** Checks the path (or each path of a list) at `key`: absolute, normalised, no NUL; globs compile when `globs`. */
  checkPaths(key: string, globs?: boolean): void;
  checkPath(keyPath: KeyPath, p: string): void;
  checkRegex(keyPath: KeyPath, source: string): void;
  /** The text of a source file (relative to the source root), or a located load error naming the resource. */
  readSource(keyPath: KeyPath, rel: string): string;
  /** The source root's absolute path (--source, or the file's `sources:`), or a located load error when none is given. */
  sourceRoot(keyPath: KeyPath): string;
}

/** What a probe may need besides the host: where reconcile keeps its state (a generator's scratch dir lives there). */
export interface ProbeContext {
  stateDir: string;
}

/** A path or group a resource names literally: two resources naming it are refused at load. */
export interface LiteralTarget {
  target: string;
  /** Where it is declared, relative to the resource (for the located error). */
  keyPath: KeyPath;
}

/** A mode a resource declares for a path or glob: what the guardrails (src/model/guardrails.ts) look at. */
export interface DeclaredMode {
  path: string;
  mode: number;
  what: 'file' | 'directory' | 'device';
}

/** JSON Schema fragment for a kind: its own keys only (id, kind, description are added for every kind). */
export interface KindSchema {
  description: string;
  required: string[];
  properties: Record<string, unknown>;
  /** Further keywords of the kind's object schema (if/then, anyOf, x-hints). */
  [keyword: string]: unknown;
}

export interface KindDefinition<R extends ResourceBase & { kind: string }, Observed> extends ResourceHandler<R, Observed> {
  schema: KindSchema;
  /** Paths and group names are separate namespaces: a group called "x" is not the file /x. */
  namespace: 'path' | 'group' | 'unit' | 'package';
  normalise(ctx: NormaliseContext): R;
  literalTargets(resource: R): LiteralTarget[];
  /** What --target may name for this resource (literal paths, globs, a group). Default: its literal targets. */
  selectors?(resource: R): string[];
  /** Modes the resource declares, for the --validate/--plan guardrails. Default: none. */
  declaredModes?(resource: R): DeclaredMode[];
  /** Whether an unchanged entry names a real target (an absent glob that matched nothing does not). Default: yes. */
  isTarget?(unchangedTarget: string): boolean;
}

/** A diff that is one error for the resource: it cannot be planned. */
export function failedDiff(resource: ResourceBase & { kind: string }, message: string, target?: string): DiffResult {
  return {
    changes: [],
    unchanged: [],
    notes: [],
    errors: [
      {
        resource: resource.id,
        kind: resource.kind as PlanError['kind'],
        ...(target !== undefined ? { target } : {}),
        message,
      },
    ],
  };
}

export function emptyDiff(): DiffResult {
  return { changes: [], unchanged: [], notes: [], errors: [] };
}
