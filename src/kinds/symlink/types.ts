import type { ResourceBase } from '../kind.js';

export interface LinkSpec {
  path: string;
  /** What the link points at, verbatim (absolute or relative to the link's directory). */
  target: string;
}

/** Symlinks with exact targets: one (`path`, `target`) or many (`dir`, `links`). */
export interface SymlinkResource extends ResourceBase {
  kind: 'symlink';
  /** Every link of the resource, in declaration order. */
  links: LinkSpec[];
  /** How the links were written, for located messages: one path, or names under a directory. */
  form: { dir: string } | 'single';
}
