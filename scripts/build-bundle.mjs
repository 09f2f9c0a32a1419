// Build step (after tsc and build-validators): the shipped command as one ES
// module, dist/bundle/reconcile.mjs, with what a run does not always need in
// chunks loaded on demand (dist/bundle/chunks/). Node resolves and links one
// file instead of dozens, which is most of the start-up cost (issue 13).
//
// Two modules differ from the tsc build (dist/src, which the tests run):
// - src/host/fault-injection.ts: the crash tests' RECONCILE_FAULT_AFTER hook
//   is replaced by a no-op, so the shipped root tool cannot be made to kill
//   itself mid-apply by an environment variable;
// - src/model/compiled-validators.ts: the standalone ajv validators of
//   dist/validators/ are inlined (one chunk per schema) instead of read from
//   a path at run time;
// - src/rules/prebuilt-rules.ts: each built-in rule file's text with the rule
//   the tsc build's loadRuleFile made of it, so a run whose rules/ is as
//   shipped parses no rule YAML (a changed file is parsed as usual).
//
//   node scripts/build-bundle.mjs            # writes dist/bundle/, prints sizes

import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(repo, 'dist/bundle');
// Debian bookworm's and Ubuntu 24.04's own nodejs; package.json engines says the same.
const NODE_TARGET = 'node18.20';

/**
 * The prebuilt-rules module: text -> the rule as JSON (location without the
 * file name, which is where the run finds it). Made by the tsc build's own
 * loader, so it is exactly what parsing the same text gives.
 */
async function prebuiltRulesModule() {
  const { loadRuleFile } = await import(pathToFileURL(path.join(repo, 'dist/src/rules/load.js')).href);
  const dir = path.join(repo, 'rules');
  const entries = [];
  for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const file = path.join(dir, name);
    const { source, ...rule } = await loadRuleFile(file);
    const prebuilt = { ...rule, source: { line: source.line, column: source.column } };
    // Only plain data survives JSON; a rule that would not is parsed at run time.
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(prebuilt)), prebuilt)) {
      console.warn(`build-bundle: ${name} is not plain JSON data; it is parsed at run time`);
      continue;
    }
    entries.push([readFileSync(file, 'utf8'), JSON.stringify(prebuilt)]);
  }
  return [
    `const PREBUILT = new Map(${JSON.stringify(entries)});`,
    // A fresh object per call: callers may keep or change what they get.
    'export function prebuiltRule(text) {',
    '  const json = PREBUILT.get(text);',
    '  return json === undefined ? undefined : JSON.parse(json);',
    '}',
    '',
  ].join('\n');
}

/** Swaps the build-specific modules named above for their shipped versions. */
const shippedModules = {
  name: 'reconcile-shipped-modules',
  setup(b) {
    b.onResolve({ filter: /(^|\/)prebuilt-rules\.js$/ }, () => ({ path: 'prebuilt-rules', namespace: 'shipped' }));
    b.onLoad({ filter: /^prebuilt-rules$/, namespace: 'shipped' }, async () => ({ contents: await prebuiltRulesModule(), loader: 'js' }));
    b.onResolve({ filter: /(^|\/)fault-injection\.js$/ }, () => ({ path: 'fault-injection', namespace: 'shipped' }));
    b.onResolve({ filter: /(^|\/)compiled-validators\.js$/ }, () => ({ path: 'compiled-validators', namespace: 'shipped' }));
    b.onLoad({ filter: /^fault-injection$/, namespace: 'shipped' }, () => ({
      contents: 'export async function faultPoint(_label) {}\n',
      loader: 'js',
    }));
    b.onLoad({ filter: /^compiled-validators$/, namespace: 'shipped' }, () => {
      const file = (name) => JSON.stringify(path.join(repo, 'dist/validators', `${name}.cjs`));
      // Every schema build-validators compiled (desired state, rules, saved plans, journals): a schema added later is inlined too.
      const names = readdirSync(path.join(repo, 'dist/validators'))
        .filter((f) => f.endsWith('.cjs'))
        .map((f) => f.slice(0, -'.cjs'.length))
        .sort();
      return {
        contents: [
          'export async function loadCompiledValidator(_file, name) {',
          ...names.map((n) => `  if (name === ${JSON.stringify(n)}) return (await import(${file(n)})).default;`),
          "  throw new Error(`no compiled validator for schema ${name}`);",
          '}',
          '',
        ].join('\n'),
        loader: 'js',
        resolveDir: repo,
      };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { reconcile: path.join(repo, 'src/cli/bin.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: NODE_TARGET,
  // ajv's standalone code and its runtime helpers are CommonJS and require()
  // node built-ins; an ES module has no require of its own.
  banner: { js: "import { createRequire as __reconcileCreateRequire } from 'node:module';\nconst require = __reconcileCreateRequire(import.meta.url);" },
  plugins: [shippedModules],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const entry = path.join(outdir, 'reconcile.mjs');
// The hashbang must be the first line, above the banner.
const code = readFileSync(entry, 'utf8').replace(/^(.*\n)([\s\S]*?)(#!\/usr\/bin\/env node\n)/, '$3$1$2');
writeFileSync(entry, code, { mode: 0o755 });
writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));

// The bundle carries other people's code: their licenses go with it (the npm
// package and /usr/share/doc/reconcile/ in the .deb).
const packages = new Set();
for (const out of Object.values(result.metafile.outputs)) {
  for (const input of Object.keys(out.inputs)) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
}
const notices = [...packages].sort().map((name) => {
  const dir = path.join(repo, 'node_modules', name);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const text = licenseFile ? readFileSync(path.join(dir, licenseFile), 'utf8').trim() : `License: ${pkg.license}`;
  return `${name} ${pkg.version} (${pkg.license})\n\n${text}\n`;
});
writeFileSync(
  path.join(outdir, 'THIRD-PARTY-LICENSES'),
  `reconcile's bundle (reconcile.mjs, chunks/) includes these packages:\n\n${notices.join('\n' + '-'.repeat(72) + '\n\n')}`,
);

for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.map') || file.endsWith('.txt')) continue;
  console.log(`bundled ${path.relative(repo, path.join(repo, file))} (${(out.bytes / 1024).toFixed(0)} KiB)`);
}
