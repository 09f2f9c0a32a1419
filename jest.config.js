// execa 9 and diff 9 are ESM-only, so the whole project is ESM and jest runs
// with --experimental-vm-modules (see package.json "test").
import os from 'node:os';

/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  testEnvironmentOptions: {
    // Jest 30's default 'soft' cleanup wraps each property of every object a
    // test file left on its global in an accessor whose setter recurses
    // forever (jestjs/jest#16044). execa's signal-exit keeps a counter on such
    // an object and decrements it when a child exits: a child that exits after
    // its file was torn down threw "RangeError: Maximum call stack size
    // exceeded at originalSetter" into whichever file ran next in that worker.
    // Tests stop their children (test/helpers/child-group.ts); this keeps one
    // that slips through from failing an unrelated file.
    globalsCleanup: 'off',
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // Jest's default (cores - 1) runs one file at a time on a 2-core machine;
  // most of the slow files wait on child processes and the disk, so two
  // workers keep both cores busy.
  maxWorkers: Math.max(2, (os.availableParallelism?.() ?? os.cpus().length) - 1),
  // A guard against a hung test, not a verdict on speed: on a loaded 2-core
  // machine a file can take ten times as long as on an idle one, and a test
  // must not fail for that. No test sets a shorter limit.
  testTimeout: 600_000,
};
