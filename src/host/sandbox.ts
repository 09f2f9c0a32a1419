// The bubblewrap command line for a generator: the root is its `/`, mounted
// read-only, with one writable directory (the scratch dir that stands in for
// where the generator writes), fresh /dev, /proc, /tmp and /run, no network,
// no other processes, no environment but what is set here. As root it keeps
// no capabilities; as another user, setpriv (util-linux, inside the root)
// drops to that user, so the user's own name resolves in the root's passwd.

import path from 'node:path';
import type { SandboxSpec } from './types.js';

/**
 * A directory of the root shown through a tmpfs, because a mount point must
 * be made under it and the root is read-only: its entries are bound back
 * (read-only) or re-made (symlinks, never followed on the running machine).
 */
export interface Shadow {
  dir: string;
  entries: { name: string; symlink?: string }[];
}

export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Inside-sandbox paths something is mounted on. */
export function mountPoints(spec: SandboxSpec): string[] {
  return [spec.output.at, ...(spec.readOnly ?? []).map((r) => r.at)];
}

/** Running-machine paths of the root and the output dir, already resolved and confined by the Host. */
export function bwrapArgs(spec: SandboxSpec, real: { root: string; output: string }, shadows: Shadow[] = []): string[] {
  const args = ['--ro-bind', real.root, '/'];
  for (const sh of shadows) {
    args.push('--perms', '0755', '--tmpfs', sh.dir);
    for (const e of sh.entries) {
      const at = path.posix.join(sh.dir, e.name);
      if (e.symlink !== undefined) args.push('--symlink', e.symlink, at);
      else args.push('--ro-bind', path.join(real.root, at), at);
    }
  }
  args.push('--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run');
  args.push('--bind', real.output, spec.output.at);
  for (const ro of spec.readOnly ?? []) args.push('--ro-bind', ro.from, ro.at);
  // Not --unshare-all: that adds a user namespace, in which setpriv could not switch to the user.
  args.push('--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try');
  args.push('--die-with-parent', '--new-session', '--clearenv', '--chdir', '/');
  const env: Record<string, string> = { PATH: SANDBOX_PATH, LC_ALL: 'C', HOME: '/', ...spec.env };
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  const asUser = spec.uid !== undefined && spec.uid !== 0;
  if (!asUser) return [...args, '--cap-drop', 'ALL', '--', ...spec.argv];
  const gid = String(spec.gid ?? spec.uid);
  return [...args, '--', 'setpriv', '--reuid', String(spec.uid), '--regid', gid, '--clear-groups', '--no-new-privs', '--', ...spec.argv];
}
