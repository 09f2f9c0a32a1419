import type { ResourceBase } from '../kind.js';

/** Mode/owner/group over globs, optionally down whole trees; symlinks are never followed. */
export interface PermissionsResource extends ResourceBase {
  kind: 'permissions';
  paths: string[];
  /** Also everything below each matched directory. */
  recursive: boolean;
  /** For regular files (`fileMode`, else `mode`); undefined: left as it is. */
  fileMode?: number;
  /** For directories (`dirMode`, else `mode`). */
  dirMode?: number;
  /** A regular file starting with `#!` also gets execute wherever it has read. */
  executableScripts: boolean;
  owner?: string;
  group?: string;
}
