// Build step (after tsc and build-validators): the shipped command,
// dist/bundle/, as two CommonJS files: reconcile.cjs, the command (a small
// launcher, src/cli/launch.ts), and reconcile-code.cjs, everything else in
// one file, which the launcher compiles with V8's code cache
// (scripts/build-code-cache.mjs makes the shipped one). Node then reads two
// files and compiles almost nothing, where the tsc build resolves, links and
// compiles dozens of ES modules: that was most of the start-up cost (issue 13).
//
// Three modules differ from the tsc build (dist/src, which the tests run):
// - src/host/fault-injection.ts: the crash tests' RECONCILE_FAULT_AFTER hook
//   is replaced by a no-op, so the shipped root tool cannot be made to kill
//   itself mid-apply by an environment variable;
// - src/model/compiled-validators.ts: the standalone ajv validators of
//   dist/validators/ are inlined (each initialised on first use) instead of
//   read from a path at run time;
// - src/rules/prebuilt-rules.ts: each built-in rule file's text with the rule
//   the tsc build's loadRuleFile made of it, so a run whose rules/ is as
//   shipped parses no rule YAML (a changed file is parsed as usual).
//
//   node scripts/build-bundle.mjs            # writes dist/bundle/, prints sizes

import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(repo, 'dist/bundle');
// Debian bookworm's and Ubuntu 24.04's own nodejs; package.json engines says the same.
const NODE_TARGET = 'node18.20';
const LAUNCHER = 'reconcile.cjs';
const BODY = 'reconcile-code.cjs';

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
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: NODE_TARGET,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: repo,
};
// The body: everything, one CommonJS file. What only some modes use (apply,
// rollback, history, execa, yaml, ajv and each schema's validator) sits behind
// an import() in the source, which esbuild turns into a lazy initialiser: a
// mode that does not use it never runs it, and V8 compiles it only if called.
// Whitespace and syntax are minified (names are kept): a smaller file is less
// to read and hash on every start.
const result = await build({
  ...common,
  entryPoints: [path.join(repo, 'src/cli/bundle-entry.ts')],
  outfile: path.join(outdir, BODY),
  minifyWhitespace: true,
  minifySyntax: true,
  // import.meta.url, as an ES module would see it, for the code that finds
  // its build id and package root beside itself.
  define: { 'import.meta.url': '__reconcileModuleUrl' },
  banner: { js: "var __reconcileModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [shippedModules],
});
// The launcher: the command itself (package.json "bin").
const launcher = await build({
  ...common,
  stdin: {
    contents: "import { launch } from './src/cli/launch.ts';\nlaunch(__dirname, process.argv.slice(2));\n",
    resolveDir: repo,
    sourcefile: 'reconcile-launcher.ts',
    loader: 'ts',
  },
  outfile: path.join(outdir, LAUNCHER),
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync(path.join(outdir, LAUNCHER), 0o755);
const outputs = { ...result.metafile.outputs, ...launcher.metafile.outputs };
writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify({ inputs: { ...result.metafile.inputs, ...launcher.metafile.inputs }, outputs }));

const body = readFileSync(path.join(outdir, BODY), 'utf8');
// The launcher reads the body as latin1, which is exact for ASCII only (esbuild's default charset).
if (/[^\x00-\x7f]/.test(body)) throw new Error(`build-bundle: ${BODY} is not ASCII: the launcher would misread it`);
if (/[^\w$.]import\(/.test(body)) throw new Error(`build-bundle: ${BODY} still has an import(): the launcher runs it as a script, which cannot import`);

// The bundle carries other people's code: their licenses go with it (the npm
// package and /usr/share/doc/reconcile/ in the .deb).
const packages = new Set();
for (const out of Object.values(outputs)) {
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
  `reconcile's bundle (reconcile.cjs, reconcile-code.cjs) includes these packages:\n\n${notices.join('\n' + '-'.repeat(72) + '\n\n')}`,
);

for (const [file, out] of Object.entries(outputs)) {
  if (file.endsWith('.map') || file.endsWith('.txt')) continue;
  console.log(`bundled ${path.relative(repo, path.join(repo, file))} (${(out.bytes / 1024).toFixed(0)} KiB)`);
}
