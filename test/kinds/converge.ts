// Running the real CLI (main) against a temp root with one desired-state
// file: the converge, idempotence and rollback checks every kind's tests make.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Plan } from '../../src/plan/types.js';
import { dir, makeRoot, type TempRoot, type Tree } from '../helpers/temp-root.js';
import { captureOutput, snapshot } from '../safety/snapshot.js';

export interface KindRun {
  root: TempRoot;
  desired: string;
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  plan(): Promise<Plan>;
  apply(): Promise<{ code: number; stdout: string; stderr: string }>;
  rollback(): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The whole root, state dir included: equal before and after an apply that must write nothing. */
  picture(): ReturnType<typeof snapshot>;
  cleanup(): Promise<void>;
}

export const ACCOUNTS: Tree = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/sh\n',
  'etc/group': 'root:x:0:\nadm:x:4:\nalice:x:1001:\n',
};

/** `resources`: the YAML of the resources list, indented as under `resources:`. */
export async function kindRun(tree: Tree, resources: string, extraFiles: Record<string, string> = {}): Promise<KindRun> {
  // /var/lib is there, as on any host: the state dir is the only thing an apply adds besides its targets.
  const root = await makeRoot({ ...ACCOUNTS, 'var/lib': dir(), ...tree });
  const cfgDir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-cfg-'));
  const desired = path.join(cfgDir, 'desired.yaml');
  await fs.writeFile(desired, `version: 1\nresources:\n${resources}`, { mode: 0o644 });
  for (const [name, text] of Object.entries(extraFiles)) {
    await fs.mkdir(path.dirname(path.join(cfgDir, name)), { recursive: true, mode: 0o755 });
    await fs.writeFile(path.join(cfgDir, name), text, { mode: 0o644 });
  }
  const cli = async (args: string[]) => {
    const io = captureOutput();
    const code = await main(args, io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };
  return {
    root,
    desired,
    cli,
    async plan() {
      const r = await cli(['--plan', '--desired', desired, '--root', root.dir, '--format', 'json']);
      // Exit 1 with plan errors still prints the plan.
      if (r.code === 1 && !r.stdout.startsWith('{')) throw new Error(`plan failed: ${r.stderr}${r.stdout}`);
      return JSON.parse(r.stdout) as Plan;
    },
    apply: () => cli(['--apply', '--desired', desired, '--root', root.dir]),
    rollback: () => cli(['--rollback', '--root', root.dir]),
    picture: () => snapshot(root.dir, []),
    async cleanup() {
      await root.cleanup();
      await fs.rm(cfgDir, { recursive: true, force: true });
    },
  };
}

/** Applies, then checks the second apply plans nothing and writes nothing (state dir included). */
export async function expectConvergedAndIdempotent(run: KindRun): Promise<void> {
  const first = await run.apply();
  if (first.code !== 0) throw new Error(`first apply exited ${first.code}: ${first.stderr}${first.stdout}`);
  const replan = await run.plan();
  expect(replan.changes).toEqual([]);
  const before = await run.picture();
  const second = await run.apply();
  expect(second.code).toBe(0);
  expect(await run.picture()).toEqual(before);
}
