// The shipped command's first code (dist/bundle/reconcile.cjs, package.json
// "bin"): it compiles the bundle (reconcile-code.cjs) with V8's code cache
// (code-cache.ts) and runs it. CommonJS on purpose: node sets up its ES module
// loader only for an ES module, and that alone cost more than the rest of a
// warm `--validate` (issue 13); the bundle has no import() left, esbuild turned
// each into a lazy initialiser, so what a mode does not use is never run.

import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { readFileSync } from 'node:fs';
import { chooseCodeCache, writeUserCodeCache } from './code-cache.js';

export const BODY = 'reconcile-code.cjs';
export const CODE_CACHE = 'reconcile-code.cache';

interface Body {
  main(argv: string[]): Promise<number>;
  quietOnClosedPipes(): void;
}

/** Compiles and runs the bundle's module code; `script` can then make a code cache of what ran. */
export function loadBody(bundleDir: string, cachedData?: Buffer): { body: Body; script: Script } {
  const file = path.join(bundleDir, BODY);
  // The same wrapper node puts around a CommonJS module. The body is ASCII
  // (esbuild escapes the rest; the build checks), so latin1 reads it exactly,
  // without UTF-8 decoding.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'latin1')}\n})`;
  const script = new Script(source, { filename: file, cachedData });
  const module = { exports: {} as Body };
  (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, bundleDir);
  return { body: module.exports, script };
}

export function launch(bundleDir: string, argv: string[]): void {
  const choice = chooseCodeCache(bundleDir, CODE_CACHE, argv);
  const { body, script } = loadBody(bundleDir, choice.data);
  const writeTo = choice.writeTo;
  if (writeTo !== null && (choice.data === undefined || script.cachedDataRejected === true)) {
    // After the run, so the cache holds what this mode compiled, not only the top level.
    process.once('exit', () => writeUserCodeCache(writeTo, script.createCachedData()));
  }
  body.quietOnClosedPipes();
  void body.main(argv).then((code) => {
    // Exit now: main has awaited all its work, and a natural exit would first
    // wait for V8's background compile jobs (the optimising compiler may be
    // busy with a function that got hot), which cost a warm run ~10 ms.
    // Output is flushed: on Linux node writes stdout and stderr to files,
    // pipes and terminals synchronously.
    process.exit(code);
  });
}
