// The project's jest configuration, run on fixture files that reproduce what
// failed test/apply/rollback.test.ts once: a file whose execa child exits
// after the file's environment was torn down must not fail the next file in
// that worker (RangeError: Maximum call stack size exceeded at originalSetter).

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';

const repo = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(import.meta.dirname, 'fixtures/late-child-exit');
const config = ((await import(pathToFileURL(path.join(repo, 'jest.config.js')).href)) as { default: Record<string, unknown> }).default;

it('a child that exits after its test file ended does not fail the next file', async () => {
  // The project's settings, on plain ESM fixtures (no ts-jest), one worker, in name order.
  const { preset: _preset, transform: _transform, moduleNameMapper: _map, roots: _roots, ...own } = config;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-jest-config-'));
  try {
    const sequencer = path.join(dir, 'by-name.cjs');
    await fs.writeFile(
      sequencer,
      "const S = require(require.resolve('@jest/test-sequencer', { paths: [process.argv[1]] })).default;\n" +
        'module.exports = class extends S { sort(tests) { return [...tests].sort((a, b) => a.path.localeCompare(b.path)); } };\n',
    );
    const cfg = path.join(dir, 'jest.config.json');
    await fs.writeFile(cfg, JSON.stringify({ ...own, rootDir: fixtures, testMatch: ['**/*.fixture.mjs'], transform: {}, testSequencer: sequencer }));
    const r = await execa('node', ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--config', cfg, '--runInBand', '--ci'], {
      cwd: repo,
      reject: false,
      stdin: 'ignore',
      all: true,
      env: { LATE_CHILD_PIDFILE: path.join(dir, 'late-child.pid') },
    });
    expect(r.all).not.toContain('Maximum call stack size exceeded');
    expect(r.all).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(r.exitCode).toBe(0);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
