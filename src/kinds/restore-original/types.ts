import type { ResourceBase } from '../kind.js';

/** Put a saved original back over a known wrapper (atomic rename). */
export interface RestoreOriginalResource extends ResourceBase {
  kind: 'restore-original';
  path: string;
  original: string;
  /**
   * Optional extra recognition: content matching this regex is also the
   * wrapper. A script that runs `original` is recognised without it.
   */
  wrapperMatches?: string;
}
