import type { ResourceBase } from '../kind.js';

/** A file with exact content, mode and ownership; or a file that must not exist. */
export interface FileResource extends ResourceBase {
  kind: 'file';
  path: string;
  state: 'present' | 'absent';
  /** Exact bytes as UTF-8 text; required when state is present. */
  content?: string;
  /** Permission bits, e.g. 0o644. Defaults: 0o644 on create, unchanged otherwise. */
  mode?: number;
  owner?: string;
  group?: string;
}
