// Where the precompiled standalone validators come from. From the tsc build
// they are the files `npm run build` wrote to dist/validators/; the shipped
// bundle (scripts/build-bundle.mjs) swaps this module for one with them
// inlined, each in its own lazily loaded chunk, so no file path is needed.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The compiled validator module at `file` (for schema `name`); throws when it is not there. */
export async function loadCompiledValidator(file: string, _name: string): Promise<unknown> {
  return require(file);
}
