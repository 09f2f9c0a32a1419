// Build step (after build-bundle and build-id): the shipped V8 code cache,
// dist/bundle/reconcile-code.cache, and beside it which V8 made it (a node with
// another V8 ignores it and keeps a cache of its own: src/cli/code-cache.ts).
//
// A cache made right after compiling holds only the top level; one made after
// running holds every function that ran. So a first child fills a load cache
// with a plan of the bundled example host, and a second compiles the bundle's
// body with no code cache and runs what hosts run most: a validate with the
// load cache off (parsing YAML and validating, as the first run after an edit
// and every plan of a changed desired state in code review does), then a plan
// and a validate from the warm load cache (what cron and CI run when nothing
// changed); then it writes what V8 compiled. Measured: the cold parts cost a
// warm run about 1 ms of deserializing and save a cold one about 12 ms. An
// apply or a check compiles the rest as it goes. Their output is not kept.
//
//   node scripts/build-code-cache.mjs

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  process.env.RECONCILE_NO_CACHE = '1';
  await body.main(['--validate', '--desired', desired]);
  delete process.env.RECONCILE_NO_CACHE;
  for (const argv of [['--plan', '--desired', desired, '--root', host], ['--validate', '--desired', desired]]) await body.main(argv);
  const file = path.join(bundleDir, CODE_CACHE);
  writeFileSync(file, script.createCachedData(), { mode: 0o644 });
  writeFileSync(`${file}.json`, `${JSON.stringify({ v8: process.versions.v8, arch: process.arch, node: process.version })}\n`, { mode: 0o644 });
  process.exit(0);
}

const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'reconcile-code-cache-'));
try {
  const env = { ...process.env, RECONCILE_CACHE_DIR: cacheDir, RECONCILE_NO_CACHE: '', NO_COLOR: '1' };
  // The same paths as the training plan: the load cache is keyed on them.
  const fill = ['--plan', '--desired', path.join(repo, 'desired-state/ds01.yaml'), '--root', path.join(repo, 'examples/hosts/incident-2-nvidia-smi-wrapper')];
  for (const argv of [[path.join(bundleDir, 'reconcile.cjs'), ...fill], [fileURLToPath(import.meta.url), '--train']]) {
    const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0 && r.status !== 2) throw new Error(`build-code-cache: ${path.basename(argv[0])} failed (${r.status ?? r.signal})`);
  }
  if (!readdirSync(cacheDir).some((f) => f.endsWith('.json'))) throw new Error('build-code-cache: the first run left no load cache entry, so training would not be warm');
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
const size = statSync(path.join(bundleDir, 'reconcile-code.cache')).size;
console.log(`code cache dist/bundle/reconcile-code.cache (${(size / 1024).toFixed(0)} KiB, V8 ${process.versions.v8})`);
