// Turning arguments into the things commands work on: the Host and the
// desired state. Shared by every command.

import { UserError } from '../errors.js';
import { statConfig } from '../host/config-stat.js';
import { statLocal } from '../host/local-files.js';
import type { RootedHost } from '../host/rooted-host.js';
import { DEFAULT_STATE_DIR } from '../apply/state-dir.js';
import { loadDesiredCached, openLoadCache } from '../model/load-cache.js';
import type { DesiredState } from '../model/types.js';
import type { CliArgs } from './args.js';
import { checkConfigTrust } from './config-trust.js';

export const DEFAULT_DESIRED = '/etc/reconcile/desired-state';

/** --root with every symlink resolved; a UserError when it is not a directory. */
export async function resolveRoot(args: CliArgs): Promise<string> {
  const st = await statConfig(args.root);
  if (st === null || !st.isDirectory) {
    throw new UserError(`--root ${args.root} is not a directory: pass the directory that holds the host's filesystem (default /).`);
  }
  return st.real;
}

export async function openHost(args: CliArgs): Promise<RootedHost> {
  // The real path: a symlink to / is the live host (gpasswd, no chroot), not an image.
  // Loaded here, not at start-up: --validate never opens the host.
  const { RootedHost } = await import('../host/rooted-host.js');
  return new RootedHost(await resolveRoot(args));
}

/** `warn` receives the --insecure-config warning; pass io.err so tests see it. */
export async function loadDesired(args: CliArgs, warn: (message: string) => void): Promise<DesiredState> {
  const desired = args.desired ?? DEFAULT_DESIRED;
  if (args.desired === undefined && (await statLocal(desired)) === null) {
    // Never fall back to the bundled example on a live host.
    throw new UserError(
      `no desired state at ${DEFAULT_DESIRED}: install this host's desired state there, or pass --desired PATH (a YAML file or a directory of *.yaml).`,
    );
  }
  await checkConfigTrust([desired], 'a desired state', { insecure: args.insecureConfig, warn });
  // A run whose inputs did not change reuses the last load (src/model/load-cache.ts); RECONCILE_NO_CACHE=1 turns it off.
  return loadDesiredCached(desired, { ...(args.source !== undefined ? { sourceRoot: args.source } : {}) }, openLoadCache(args.root));
}

export function stateDirOf(args: CliArgs): string {
  return args.stateDir ?? DEFAULT_STATE_DIR;
}

/** The config-trust check for --rules directories; call before loading them (warn: pass io.err). */
export async function trustRules(args: CliArgs, warn: (message: string) => void): Promise<void> {
  await checkConfigTrust(args.rules, 'a rules directory', { insecure: args.insecureConfig, warn });
}
