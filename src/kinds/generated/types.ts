import type { ResourceBase } from '../kind.js';

/**
 * Files a generator writes, treated as desired files: the generator runs in a
 * sandbox with an empty scratch directory standing in for `output`, and what it
 * leaves there is planned, diffed, backed up and applied like any file.
 */
export interface GeneratedResource extends ResourceBase {
  kind: 'generated';
  /** argv, no shell; "{out}" stands for `output` as the generator sees it. */
  command: string[];
  /** The directory the generator writes to (as seen inside the root): its output tree lands here. */
  output: string;
  /** The source root (--source), mounted read-only at `sourceAt` inside the sandbox. */
  sourceAt?: string;
  sourceRoot?: string;
  /** Run as this user of the root (default root, with no capabilities). */
  user?: string;
  timeoutSeconds: number;
  env?: Record<string, string>;
  /** Mode of the generated files (default 0644) and directories (default 0755); owner/group of both (default root). */
  mode?: number;
  directoryMode?: number;
  owner?: string;
  group?: string;
}
