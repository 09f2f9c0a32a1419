// Build step (after the bundle, before its code cache): the build id the load
// cache and the per-user code caches key on (src/model/load-cache.ts, src/cli/code-cache.ts),
// a sha256 over the code that was just built, written beside it:
// - dist/src/build-id.json: dist/src and dist/validators (the tsc build the
//   tests run). `staleIfOlder`: a later tsc run without this step rewrites the
//   code but not this file, and the cache then treats the id as missing;
// - dist/bundle/build-id.json: the shipped bundle, launcher and body (esbuild
//   empties dist/bundle on each build, so no stale id survives there); the
//   code cache made from that code afterwards is not part of it.
// Any change to the code changes the id, so a cached load never outlives it.
//
//   node scripts/build-id.mjs

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
const SKIP = new Set(['build-id.json', 'meta.json', 'THIRD-PARTY-LICENSES', 'reconcile-code.cache', 'reconcile-code.cache.json']);

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (!SKIP.has(name)) out.push(p);
  }
  return out;
}

function buildId(dirs) {
  const h = createHash('sha256').update(`reconcile ${version}\n`);
  for (const dir of dirs) {
    for (const file of filesUnder(dir)) {
      const bytes = readFileSync(file);
      h.update(`${path.relative(repo, file)}\0${bytes.length}\0`).update(bytes);
    }
  }
  return h.digest('hex');
}

const builds = [
  { out: 'dist/src', dirs: ['dist/src', 'dist/validators'], staleIfOlder: true },
  { out: 'dist/bundle', dirs: ['dist/bundle'], staleIfOlder: false },
];
for (const b of builds) {
  if (!existsSync(path.join(repo, b.out))) continue;
  const id = buildId(b.dirs.map((d) => path.join(repo, d)));
  writeFileSync(path.join(repo, b.out, 'build-id.json'), `${JSON.stringify({ id, staleIfOlder: b.staleIfOlder })}\n`);
  console.log(`build id ${b.out}: ${id.slice(0, 16)}...`);
}
