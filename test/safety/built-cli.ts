// Tests that start the real command as a child process (kill -9, two
// processes at once) run the built CLI: fast to start, no ts-jest. `npm test`
// builds it first when stale (pretest); this builds only when dist/ is missing, and
// otherwise warns when it is older than src/: rebuilding while other test
// files run the built CLI would hand them half-written files.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export const repo = path.resolve(import.meta.dirname, '../..');
export const bin = path.join(repo, 'dist/src/cli/bin.js');

async function newest(dir: string): Promise<number> {
  let max = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, await newest(p));
    else if (e.name.endsWith('.ts')) max = Math.max(max, (await fs.stat(p)).mtimeMs);
  }
  return max;
}

let warned = false;

export async function ensureBuilt(): Promise<void> {
  const built = await fs.stat(bin).then((s) => s.mtimeMs).catch(() => 0);
  if (built === 0) {
    // The whole build: the CLI also needs the compiled schema validators.
    await execa('npm', ['run', 'build'], { cwd: repo });
    return;
  }
  if (!warned && built < (await newest(path.join(repo, 'src')))) {
    warned = true;
    console.warn('dist/ is older than src/: these tests run the built CLI; run `npm run build` (npm test does) to test your changes');
  }
}

export interface ChildResult {
  code: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
  const r = await execa('node', [bin, ...args], { reject: false, cwd: repo, stdin: 'ignore', env });
  return { code: r.exitCode, signal: r.signal ?? undefined, stdout: String(r.stdout), stderr: String(r.stderr) };
}
