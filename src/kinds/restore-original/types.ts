import type { ResourceBase } from '../kind.js';

/** Put a saved original back over a known wrapper (atomic rename). */
export interface RestoreOriginalResource extends ResourceBase {
  kind: 'restore-original';
  path: string;
  original: string;
  /** Regular expression that recognises the wrapper's content. */
  wrapperMatches: string;
}
