// systemctl through the Host. Live: the running systemd. Under --root the
// Host runs commands inside the root (chroot), so `systemctl --root=/` is the
// root's own systemctl acting offline on the root's unit files, exactly
// `systemctl --root=DIR` seen from outside; nothing can be started there.

import type { Host, RunResult } from '../../host/types.js';

export function systemctl(host: Host, args: string[]): Promise<RunResult> {
  return host.run('systemctl', host.live ? args : ['--root=/', ...args], { timeoutMs: 60_000 });
}

/** `systemctl is-enabled`'s word (enabled, disabled, static, masked, ...), or "not-found". */
export async function unitFileState(host: Host, unit: string): Promise<string> {
  const r = await systemctl(host, ['is-enabled', unit]);
  if (r.notFound) throw new Error(`systemctl is not installed ${host.live ? 'on this host' : 'in the root'}: a service needs systemd`);
  const word = r.stdout.trim().split('\n')[0] ?? '';
  if (word !== '') return word;
  if (/No such file|not found|does not exist/i.test(r.stderr)) return 'not-found';
  throw new Error(`systemctl is-enabled ${unit} failed (exit ${r.exitCode}): ${r.stderr.trim() || 'no output'}`);
}

/** `systemctl is-active`'s word (active, inactive, failed, ...); null under --root, where nothing runs. */
export async function activeState(host: Host, unit: string): Promise<string | null> {
  if (!host.live) return null;
  const r = await systemctl(host, ['is-active', unit]);
  const word = r.stdout.trim().split('\n')[0] ?? '';
  if (word === '') throw new Error(`systemctl is-active ${unit} failed (exit ${r.exitCode}): ${r.stderr.trim() || 'no output'}`);
  return word;
}
