import type { ResourceBase } from '../kind.js';

/** Debian packages that must be installed (any version). */
export interface PackageResource extends ResourceBase {
  kind: 'package';
  names: string[];
}
