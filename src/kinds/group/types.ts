import type { ResourceBase } from '../kind.js';

/** Group membership: G contains the listed users and every member of the included groups. */
export interface GroupResource extends ResourceBase {
  kind: 'group';
  group: string;
  members: string[];
  include: string[];
  /** Remove members not listed or included. Off by default: additive only. */
  exclusive: boolean;
}
