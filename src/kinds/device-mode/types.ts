import type { ResourceBase } from '../kind.js';

/** Device nodes matching globs get mode, owner and group; symlinks are never followed. */
export interface DeviceModeResource extends ResourceBase {
  kind: 'device-mode';
  paths: string[];
  mode: number;
  owner: string;
  group: string;
}
