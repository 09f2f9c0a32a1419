// Build step (after build-bundle and build-id): the shipped V8 code cache,
// dist/bundle/reconcile-code.cache, and beside it which V8 made it (a node with
// another V8 ignores it and keeps a cache of its own: src/cli/code-cache.ts).
//
// A cache made right after compiling holds only the top level; one made after
// running holds every function that ran. So a child process compiles the
// bundle's body with no cache, runs the modes a host runs most (a plan with
// the load cache cold and then warm, a validate) against the bundled example
// host, and then writes what V8 compiled. Its output is not kept.
//
//   node scripts/build-code-cache.mjs

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundleDir = path.join(repo, 'dist/bundle');

if (process.argv[2] === '--train') {
  const { loadBody, CODE_CACHE } = await import(pathToFileURL(path.join(repo, 'dist/src/cli/launch.js')).href);
  const { body, script } = loadBody(bundleDir);
  const desired = path.join(repo, 'desired-state/ds01.yaml');
  const host = path.join(repo, 'examples/hosts/incident-2-nvidia-smi-wrapper');
  const plan = ['--plan', '--desired', desired, '--root', host];
  for (const argv of [plan, plan, ['--validate', '--desired', desired]]) await body.main(argv);
  const file = path.join(bundleDir, CODE_CACHE);
  writeFileSync(file, script.createCachedData(), { mode: 0o644 });
  writeFileSync(`${file}.json`, `${JSON.stringify({ v8: process.versions.v8, arch: process.arch, node: process.version })}\n`, { mode: 0o644 });
  process.exit(0);
}

const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'reconcile-code-cache-'));
try {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--train'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, RECONCILE_CACHE_DIR: cacheDir, RECONCILE_NO_CACHE: '', NO_COLOR: '1' },
  });
  if (r.status !== 0) throw new Error(`build-code-cache: the training run failed (${r.status ?? r.signal})`);
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
const size = statSync(path.join(bundleDir, 'reconcile-code.cache')).size;
console.log(`code cache dist/bundle/reconcile-code.cache (${(size / 1024).toFixed(0)} KiB, V8 ${process.versions.v8})`);
