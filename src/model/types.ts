// The desired state after loading and normalising: what the YAML says, with
// modes as numbers and every resource knowing where it was declared. The
// resource types themselves live with their kinds (src/kinds/<kind>/types.ts).

import type { HandlerDefinition } from '../apply/handlers.js';
import type { Resource } from '../kinds/registry.js';

export type { Resource, ResourceKind } from '../kinds/registry.js';
export { RESOURCE_KINDS } from '../kinds/registry.js';

/** Where something was declared: for error messages and plan output. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface DesiredState {
  /** The files the state was loaded from, as given. */
  files: string[];
  resources: Resource[];
  /** Top-level `handlers` of every file, in file then declaration order. */
  handlers: HandlerDefinition[];
}
