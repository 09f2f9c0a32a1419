// Running a generator: a fresh scratch directory inside the state dir, the
// generator in its sandbox with that directory mounted where it writes, then
// its output tree read back through the Host (regular files and directories
// only, bounded), and the scratch directory removed. Nothing here writes
// outside the state dir.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { checkStateDirTrust, ensureStateDir } from '../../apply/state-dir.js';
import { lookupUserIds } from '../../host/accounts.js';
import type { Host } from '../../host/types.js';
import type { GeneratedResource } from './types.js';

export interface GeneratedEntry {
  /** Path relative to the output directory. */
  rel: string;
  type: 'file' | 'dir';
  content?: Buffer;
}

// A generator is trusted to produce config, not to flood the planner.
export const MAX_ENTRIES = 10_000;
export const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const QUOTED_OUTPUT = 2000;

/** A generator that could not produce its tree: the resource's error, in words. */
export class GeneratorError extends Error {}

function quoted(text: string): string {
  const t = text.trim();
  const tail = t.length > QUOTED_OUTPUT ? `...${t.slice(-QUOTED_OUTPUT)}` : t;
  return tail === '' ? '(no output)' : tail;
}

/** The argv with "{out}" standing for the output directory. */
export function generatorArgv(res: GeneratedResource): string[] {
  return res.command.map((a) => a.split('{out}').join(res.output));
}

async function readTree(host: Host, scratch: string): Promise<GeneratedEntry[]> {
  const entries: GeneratedEntry[] = [];
  let total = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await host.readdir(path.posix.join(scratch, rel))) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const full = path.posix.join(scratch, childRel);
      const st = await host.lstat(full);
      if (st === null) continue;
      if (entries.length >= MAX_ENTRIES) throw new GeneratorError(`the generator wrote more than ${MAX_ENTRIES} entries: refused (is it writing the right directory?)`);
      if (st.type === 'dir') {
        entries.push({ rel: childRel, type: 'dir' });
        await walk(childRel);
      } else if (st.type === 'file') {
        total += st.size;
        if (total > MAX_TOTAL_BYTES) throw new GeneratorError(`the generator wrote more than ${MAX_TOTAL_BYTES / 1024 / 1024} MiB: refused`);
        const content = await host.readFile(full, st);
        if (content === null) throw new GeneratorError(`${childRel} vanished while its output was read`);
        entries.push({ rel: childRel, type: 'file', content });
      } else {
        throw new GeneratorError(`it wrote ${childRel} as a ${st.type}: a generator may write regular files and directories only`);
      }
    }
  };
  await walk('');
  return entries;
}

/** Runs the generator and returns its output tree, or throws GeneratorError / UserError. */
export async function runGenerator(host: Host, res: GeneratedResource, stateDir: string): Promise<GeneratedEntry[]> {
  let ids: { uid: number; gid: number } | undefined;
  if (res.user !== undefined) {
    const found = await lookupUserIds(host, res.user);
    if (found === null) throw new GeneratorError(`user "${res.user}" does not exist on the target host: create it or fix \`user\` in the desired state`);
    ids = found;
  }
  await checkStateDirTrust(host, stateDir);
  await ensureStateDir(host, stateDir);
  const scratchRoot = path.posix.join(stateDir, 'scratch');
  if ((await host.lstat(scratchRoot)) === null) await host.mkdirp(scratchRoot, 0o700);
  const scratch = path.posix.join(scratchRoot, `${res.id}.${randomBytes(6).toString('hex')}`);
  await host.mkdirp(scratch, 0o755);
  try {
    if (ids !== undefined) await host.lchown(scratch, ids.uid, ids.gid);
    const result = await host.runSandboxed({
      argv: generatorArgv(res),
      output: { dir: scratch, at: res.output },
      readOnly: res.sourceAt !== undefined && res.sourceRoot !== undefined ? [{ from: res.sourceRoot, at: res.sourceAt }] : [],
      ...(ids !== undefined ? ids : {}),
      timeoutMs: res.timeoutSeconds * 1000,
      ...(res.env !== undefined ? { env: res.env } : {}),
    });
    if (result.notFound) {
      throw new GeneratorError('bwrap is not installed: a generator only ever runs in its sandbox. Install it (apt-get install bubblewrap) and run again');
    }
    if (result.timedOut) throw new GeneratorError(`the generator did not finish within ${res.timeoutSeconds} s and was stopped; raise \`timeoutSeconds\` if it needs longer`);
    if (result.exitCode !== 0) {
      throw new GeneratorError(`the generator exited with status ${result.exitCode}: ${quoted(`${result.stderr}\n${result.stdout}`)}`);
    }
    return await readTree(host, scratch);
  } finally {
    await host.removeTree(scratch);
  }
}
