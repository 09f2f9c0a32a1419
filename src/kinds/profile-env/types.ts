import type { ResourceBase } from '../kind.js';

/** A generated /etc/profile.d script exporting variables for non-exempt login shells. */
export interface ProfileEnvResource extends ResourceBase {
  kind: 'profile-env';
  path: string;
  /** Variable name -> value; '' exports the variable set and empty. */
  env: Record<string, string>;
  exempt: {
    users: string[];
    groups: string[];
    /** Directory holding `<user>.json` grant files; a grant exempts that user. */
    grantDir?: string;
  };
  mode: number;
}
