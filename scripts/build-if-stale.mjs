// `npm test` runs this first (pretest): builds dist/ only when a build input
// is newer than the build's outputs. `npm ci` has just built it (prepare), so
// CI builds once; after an edit to src/ the tests still run what was edited.
//
//   node scripts/build-if-stale.mjs          build when stale, else say why not
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '..');
// What `npm run build` reads, and the files it writes last.
const inputs = ['src', 'bench', 'schema', 'scripts/build-validators.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const outputs = ['dist/src/cli/bin.js', 'dist/validators/desired-state.cjs', 'dist/validators/rule.cjs'];

async function newest(p) {
  const st = await fs.stat(p).catch(() => null);
  if (st === null) return { time: 0, file: p };
  if (!st.isDirectory()) return { time: st.mtimeMs, file: p };
  let best = { time: st.mtimeMs, file: p };
  for (const name of await fs.readdir(p)) {
    const n = await newest(path.join(p, name));
    if (n.time > best.time) best = n;
  }
  return best;
}

const built = Math.min(...(await Promise.all(outputs.map((o) => fs.stat(path.join(repo, o)).then((s) => s.mtimeMs, () => 0)))));
let input = { time: 0, file: '' };
for (const i of inputs) {
  const n = await newest(path.join(repo, i));
  if (n.time > input.time) input = n;
}

if (built > 0 && input.time <= built) {
  console.log('dist/ is up to date: not rebuilding');
} else {
  console.log(built === 0 ? 'dist/ is missing: building' : `${path.relative(repo, input.file)} is newer than dist/: building`);
  execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });
}
