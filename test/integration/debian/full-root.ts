// The `full` Debian test root (systemd, sudo, cron, apt lists and the nodejs
// .debs in the apt cache): where systemctl --root and apt-get run for real.
// Built by `bash scripts/debian-test-root.sh full`; gated like the minbase root.

import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { bin, debianRootGate, defaultTarball, ROOT_ENV, type DebianRoot, type Gate, type RunResult } from './debian-root.js';

export async function debianFullRootGate(): Promise<Gate> {
  const minbase = await debianRootGate();
  const fromEnv = process.env.RECONCILE_DEBIAN_FULL_ROOT_TARBALL;
  const tarball = fromEnv || defaultTarball()?.replace('-minbase-', '-full-');
  if (!tarball) return { skip: 'cannot tell where the full Debian test root is cached; set RECONCILE_DEBIAN_FULL_ROOT_TARBALL' };
  if (!existsSync(tarball)) {
    return { skip: `no full Debian test root at ${tarball}; build it with \`bash scripts/debian-test-root.sh full\`` };
  }
  // Everything else (root, Linux, chroot, the built CLI) is as for the minbase root.
  if (minbase.skip !== undefined && !/no Debian test root/.test(minbase.skip)) return minbase;
  return { tarball };
}

/** A desired-state file of its own in a fresh 0700 directory. */
export async function writeDesired(yaml: string): Promise<{ file: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-desired-'));
  const file = path.join(dir, 'desired.yaml');
  await fs.writeFile(file, yaml, { mode: 0o644 });
  return { file, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** The built CLI against the root from outside (--root), with the given desired state (null: none, for --rollback). */
export async function reconcileRoot(root: DebianRoot, desired: string | null, args: string[]): Promise<RunResult> {
  const r = await execa(process.execPath, [bin, ...args, ...(desired === null ? [] : ['--desired', desired]), '--root', root.dir], {
    reject: false,
    stdin: 'ignore',
    env: { ...ROOT_ENV, HOME: os.homedir() },
    extendEnv: false,
    timeout: 600_000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
