// Desired-state resources for handler tests, with a made-up source location.

import type { SourceLocation } from '../../src/model/types.js';

export const testSource: SourceLocation = { file: 'test.yaml', line: 1, column: 1 };
