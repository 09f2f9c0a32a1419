// dpkg-query and apt-get through the Host: under --root the Host runs them
// inside the root (chroot), so they read and change the root's own dpkg
// database with the root's own tools, never the running machine's.

import type { Host } from '../../host/types.js';

/** Installed version of each name, null when not installed (unknown, removed, config-files, half-installed). */
export async function installedVersions(host: Host, names: string[]): Promise<Record<string, string | null>> {
  const r = await host.run('dpkg-query', ['-W', '-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n', '--', ...names]);
  if (r.notFound) throw new Error(`dpkg-query is not installed ${host.live ? 'on this host' : 'in the root'}: the package kind needs a Debian system`);
  // Exit 1 only says some names are unknown; anything else is a real failure.
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`dpkg-query failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  const versions: Record<string, string | null> = Object.fromEntries(names.map((n) => [n, null]));
  for (const line of r.stdout.split('\n')) {
    const [pkgArch, status, version] = line.split('\t');
    if (!pkgArch || !status || version === undefined) continue;
    const pkg = pkgArch;
    // "ii " installed; "hi " installed and held. Anything else is not usable.
    if (!/^[ih]i/.test(status)) continue;
    for (const n of names) if (n === pkg || n.replace(/:.*$/, '') === pkg) versions[n] = version;
  }
  return versions;
}

export async function aptInstall(host: Host, names: string[]): Promise<void> {
  const r = await host.run('apt-get', ['install', '-y', '-q', '--', ...names], {
    timeoutMs: 30 * 60_000,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.notFound) throw new Error(`apt-get is not installed ${host.live ? 'on this host' : 'in the root'}`);
  if (r.exitCode !== 0) {
    const out = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-8).join('\n');
    throw new Error(`apt-get install ${names.join(' ')} failed (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}):\n${out}`);
  }
}
