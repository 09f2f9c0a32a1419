import type { ResourceBase } from '../kind.js';

/** A directory that exists with mode, owner and group; its content is never touched. */
export interface DirectoryResource extends ResourceBase {
  kind: 'directory';
  path: string;
  /** Permission bits; default 0o755 on create, unchanged otherwise. */
  mode?: number;
  owner?: string;
  group?: string;
}
