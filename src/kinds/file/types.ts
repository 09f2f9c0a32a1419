import type { ResourceBase } from '../kind.js';

/** A file with exact content, mode and ownership; or a file that must not exist. */
export interface FileResource extends ResourceBase {
  kind: 'file';
  path: string;
  state: 'present' | 'absent';
  /** Exact bytes as UTF-8 text; required when state is present (read from `source` when given). */
  content?: string;
  /** The YAML's `source:`: where the content came from, relative to the source root. (`source` is the declaration's location.) */
  contentSource?: string;
  /** argv run on the staged file ("{}" is its path) before it replaces the target; non-zero: not installed. */
  validate?: string[];
  /** Permission bits, e.g. 0o644. Defaults: 0o644 on create, unchanged otherwise. */
  mode?: number;
  owner?: string;
  group?: string;
}
