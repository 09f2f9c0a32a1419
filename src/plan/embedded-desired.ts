// The desired state embedded in a saved plan, loaded again: each file's text
// through the same parser, schema and normaliser as --desired, so apply can
// re-plan (to report convergence) without the desired-state files.

import { loadDesiredTexts } from '../model/load.js';
import type { Resource } from '../model/types.js';
import type { EmbeddedFile } from './saved-plan.js';

export async function embeddedResources(files: EmbeddedFile[], sourceRoot?: string): Promise<Resource[]> {
  return loadDesiredTexts(files, sourceRoot !== undefined ? { sourceRoot } : {});
}
