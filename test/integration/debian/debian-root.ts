// A real minbase Debian root for integration tests: a fresh copy of the
// tarball that scripts/debian-test-root.sh builds, set up as DS01 was after
// the second incident, with the root's own tools (chroot ROOT useradd ...).
//
//   const gate = await debianRootGate();       // { tarball } or { skip }
//   const root = await DebianRoot.extract(gate.tarball);
//   await root.seedIncident();
//   await root.chroot(['getent', 'group', 'video']);
//   await root.cleanup();                      // unmounts, then removes

import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export const repo = path.resolve(import.meta.dirname, '../../..');
export const bin = path.join(repo, 'dist/src/cli/bin.js');
export const desired = path.join(repo, 'desired-state/ds01.yaml');

/** Root's PATH on Debian; the test runner's PATH (node_modules/.bin ...) must not leak in. */
export const ROOT_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C',
};

export const DOMAIN_USER = 'h.baker@hertie-school.lan';
/** Every docker member after seeding; admin1 is the only one left in video. */
export const DOCKER_USERS = ['alice', 'bob', 'admin1', 'datasciencelab', DOMAIN_USER];
export const NVIDIA_NODES: [string, number, number][] = [
  ['/dev/nvidia0', 195, 0],
  ['/dev/nvidiactl', 195, 255],
  ['/dev/nvidia-uvm', 508, 0],
];
export const WRAPPER = '/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh';
export const WRAPPER_LINK = '/usr/local/bin/nvidia-smi';
/** The driver's tool, which the wrapper shadowed; here a stand-in (no GPU). */
export const NVIDIA_SMI = '/usr/bin/nvidia-smi';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(file: string, args: string[], env: Record<string, string> = ROOT_ENV): Promise<RunResult> {
  const r = await execa(file, args, { reject: false, stdin: 'ignore', env, extendEnv: false, timeout: 600_000 });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The cache path scripts/debian-test-root.sh uses when RECONCILE_DEBIAN_ROOT_TARBALL is unset. */
export function defaultTarball(): string | null {
  try {
    const osRelease = readFileSync('/etc/os-release', 'utf8');
    const release = /^VERSION_CODENAME=["']?([\w-]+)/m.exec(osRelease)?.[1];
    const recipe = /^RECIPE_VERSION=(\d+)/m.exec(readFileSync(path.join(repo, 'scripts/debian-test-root.sh'), 'utf8'))?.[1];
    const arch = ({ x64: 'amd64', arm64: 'arm64', ia32: 'i386', ppc64: 'ppc64el', s390x: 's390x' } as Record<string, string>)[process.arch];
    if (!release || !recipe || !arch) return null;
    return `/var/cache/reconcile-test/debian-${release}-${arch}-minbase-v${recipe}.tar.gz`;
  } catch {
    return null;
  }
}

export type Gate = { tarball: string; skip?: undefined } | { skip: string; tarball?: undefined };

/** Whether this machine can run the suite, and if not, why (for the skip message). */
export async function debianRootGate(): Promise<Gate> {
  if (process.platform !== 'linux') return { skip: `needs Linux (chroot, mknod, mount), this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { skip: 'needs root: chroot, mknod and mount -t proc; run the tests as root' };
  const fromEnv = process.env.RECONCILE_DEBIAN_ROOT_TARBALL;
  const tarball = fromEnv || defaultTarball();
  const build = 'build it with `bash scripts/debian-test-root.sh` (about 35 s, cached after that)';
  if (!tarball) return { skip: `cannot tell where the Debian test root is cached (no /etc/os-release?); ${build} and set RECONCILE_DEBIAN_ROOT_TARBALL` };
  if (!existsSync(tarball)) {
    return { skip: `no Debian test root at ${tarball}${fromEnv ? ' (RECONCILE_DEBIAN_ROOT_TARBALL)' : ''}; ${build}` };
  }
  if (!existsSync(bin)) return { skip: `${path.relative(repo, bin)} is missing; run \`npm run build\` first` };
  if ((await run('chroot', ['--help'])).code !== 0) return { skip: 'chroot (coreutils) is not available' };
  return { tarball };
}

/** describe, or describe.skip with the reason printed; under CI=true a missing prerequisite fails instead. */
export function describeWithDebianRoot(gate: Gate, title: string, body: (tarball: string) => void): void {
  if (gate.tarball !== undefined) {
    describe(title, () => body(gate.tarball));
    return;
  }
  if (process.env.CI === 'true') {
    describe(title, () => {
      it('has a Debian test root (CI must run this suite)', () => {
        throw new Error(`${title}: cannot run: ${gate.skip}. In CI .ci/run builds the root with scripts/debian-test-root.sh.`);
      });
    });
    return;
  }
  console.warn(`skipping "${title}": ${gate.skip}`);
  describe.skip(title, () => body(''));
}

/** Warns when src/ changed after the last build: the suite runs the built CLI. */
export async function warnIfDistStale(): Promise<void> {
  const newest = async (dir: string): Promise<number> => {
    let max = 0;
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      max = Math.max(max, e.isDirectory() ? await newest(p) : (await fs.stat(p)).mtimeMs);
    }
    return max;
  };
  if ((await newest(path.join(repo, 'src'))) > (await newest(path.join(repo, 'dist')))) {
    console.warn('dist/ is older than src/: these tests run the built CLI; run `npm run build` to test your changes');
  }
}

export class DebianRoot {
  private constructor(readonly dir: string) {}

  /** A fresh copy of the cached root in a new temp dir. */
  static async extract(tarball: string): Promise<DebianRoot> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-debian-'));
    const root = new DebianRoot(dir);
    const r = await run('tar', ['-C', dir, '--numeric-owner', '-xzf', tarball]);
    if (r.code !== 0) {
      await root.cleanup();
      throw new Error(`extracting ${tarball} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    return root;
  }

  /** The host path of a path inside the root. */
  path(inside: string): string {
    return path.join(this.dir, inside);
  }

  /** A command inside the root with the root's own tools; never throws on exit status. */
  chroot(argv: string[]): Promise<RunResult> {
    return run('chroot', [this.dir, ...argv]);
  }

  /** Like chroot(), but a non-zero exit is an error naming the command. */
  async must(argv: string[]): Promise<RunResult> {
    const r = await this.chroot(argv);
    if (r.code !== 0) throw new Error(`chroot ROOT ${argv.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r;
  }

  /**
   * The root as a mount point of its own, as / is on a real host: a sandbox
   * (bwrap, for generators) run live inside the chroot needs / to be a mount.
   */
  async bindSelf(): Promise<void> {
    const r = await run('mount', ['--bind', this.dir, this.dir]);
    if (r.code !== 0) throw new Error(`mount --bind ${this.dir} on itself failed: ${r.stderr.trim()}`);
  }

  /** /proc inside the root, for the live run (ps, /proc/self, runuser); device nodes stay as made. */
  async mountProc(): Promise<void> {
    const r = await run('mount', ['-t', 'proc', 'proc', this.path('/proc')]);
    if (r.code !== 0) throw new Error(`mount -t proc in ${this.dir} failed: ${r.stderr.trim()}`);
  }

  /** Mount points at or under the root, deepest first. */
  mounts(): string[] {
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => unescape(l.split(' ')[1] ?? ''))
      .filter((m) => m === this.dir || m.startsWith(this.dir + '/'))
      .sort((a, b) => b.length - a.length);
  }

  async unmountAll(): Promise<void> {
    for (const m of this.mounts()) {
      if ((await run('umount', [m])).code !== 0) await run('umount', ['-l', m]);
    }
  }

  /** Unmounts everything under the root, then removes it; refuses to delete through a mount. */
  async cleanup(): Promise<void> {
    await this.unmountAll();
    const left = this.mounts();
    if (left.length > 0) throw new Error(`not removing ${this.dir}: still mounted: ${left.join(', ')}`);
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /**
   * DS01 as the second incident left it, made with the root's own tools:
   * docker and ds01-admin; alice, bob, admin1, datasciencelab and a domain
   * user, all in docker; video cut down to admin1; the nvidia-smi wrapper
   * linked in /usr/local/bin; device nodes 0660 root:video; a grant for bob.
   */
  async seedIncident(): Promise<void> {
    await this.must(['groupadd', 'docker']);
    await this.must(['groupadd', 'ds01-admin']);
    for (const user of DOCKER_USERS) {
      const badname = user === DOMAIN_USER ? ['--badname'] : [];
      await this.must(['useradd', ...badname, '--create-home', '--shell', '/bin/bash', user]);
      await this.must(['gpasswd', '--add', user, 'docker']);
    }
    await this.must(['gpasswd', '--add', 'admin1', 'ds01-admin']);
    // The second incident: video restricted to the exempt admin.
    await this.must(['gpasswd', '--members', 'admin1', 'video']);

    await this.must(['mkdir', '-p', path.dirname(WRAPPER)]);
    await fs.writeFile(
      this.path(WRAPPER),
      [
        '#!/bin/bash',
        `# ${WRAPPER}`,
        '# DS01 NVIDIA Command Wrapper - Bare Metal GPU Access Control',
        'REAL_CMD="/usr/bin/$(basename "$0")"',
        'if id -nG | grep -qw -e video -e ds01-admin; then exec "$REAL_CMD" "$@"; fi',
        'echo "Bare Metal GPU Access Restricted" >&2',
        'exit 1',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await this.must(['ln', '-s', WRAPPER, WRAPPER_LINK]);
    // Like the real nvidia-smi, the stand-in needs read-write access to the control node.
    await fs.writeFile(
      this.path(NVIDIA_SMI),
      [
        '#!/bin/sh',
        '# Stand-in for the NVIDIA driver\'s nvidia-smi in a test root without a GPU.',
        'if [ -r /dev/nvidiactl ] && [ -w /dev/nvidiactl ]; then',
        '  echo "GPU 0: Stand-in GPU (UUID: GPU-00000000-0000-0000-0000-000000000000)"',
        '  exit 0',
        'fi',
        'echo "Failed to initialize NVML: Insufficient Permissions" >&2',
        'exit 9',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );

    for (const [node, major, minor] of NVIDIA_NODES) {
      // mknod -m needs /proc (coreutils sets the mode via /proc/self/fd), so chmod after.
      await this.must(['mknod', node, 'c', String(major), String(minor)]);
      await this.must(['chown', 'root:video', node]);
      await this.must(['chmod', '0660', node]);
    }

    await this.must(['mkdir', '-p', '-m', '0711', '/var/lib/ds01/bare-metal-grants']);
    const grant = {
      user: 'bob',
      granted_by: 'root',
      granted_at: '2026-02-02T10:00:00+01:00',
      type: 'permanent',
      duration: null,
      expires_at: null,
    };
    await fs.writeFile(this.path('/var/lib/ds01/bare-metal-grants/bob.json'), JSON.stringify(grant, null, 2) + '\n', { mode: 0o644 });
  }

  /**
   * The built project and this node binary under /opt/reconcile, production
   * dependencies only (from package-lock.json), so reconcile can run inside
   * the root against "/". Returns the directory as seen inside the root.
   */
  async installProject(): Promise<string> {
    const inside = '/opt/reconcile';
    const dest = this.path(inside);
    await fs.mkdir(dest, { recursive: true });
    for (const entry of ['package.json', 'dist', 'schema', 'rules', 'desired-state']) {
      await fs.cp(path.join(repo, entry), path.join(dest, entry), { recursive: true, verbatimSymlinks: true });
    }
    const lock = JSON.parse(await fs.readFile(path.join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
    };
    for (const [dir, meta] of Object.entries(lock.packages)) {
      // Nested node_modules come along with their parent package.
      if (!/^node_modules\/(@[^/]+\/)?[^/@]+$/.test(dir) || meta.dev || meta.devOptional) continue;
      if (!existsSync(path.join(repo, dir))) continue;
      await fs.cp(path.join(repo, dir), path.join(dest, dir), { recursive: true, verbatimSymlinks: true });
    }
    await fs.copyFile(process.execPath, path.join(dest, 'node'));
    await fs.chmod(path.join(dest, 'node'), 0o755);
    await this.addMissingLibraries(process.execPath);
    const v = await this.chroot([`${inside}/node`, '--version']);
    if (v.code !== 0) throw new Error(`node does not run inside the root: ${v.stderr.trim()}`);
    return inside;
  }

  /** Shared libraries the binary links against (ldd on this machine) that the root lacks. */
  private async addMissingLibraries(binary: string): Promise<void> {
    const ldd = await run('ldd', [binary]);
    if (ldd.code !== 0) return; // static, or no ldd: nothing to copy
    for (const m of ldd.stdout.matchAll(/(\/\S+\.so[^\s]*)/g)) {
      const lib = m[1]!;
      if (existsSync(this.path(lib))) continue;
      await fs.mkdir(path.dirname(this.path(lib)), { recursive: true });
      await fs.copyFile(await fs.realpath(lib), this.path(lib));
    }
  }

  /** Members of a group as the root's getent reports them. */
  async groupMembers(group: string): Promise<string[]> {
    const r = await this.must(['getent', 'group', group]);
    const members = r.stdout.trim().split(':')[3] ?? '';
    return members === '' ? [] : members.split(',');
  }

  /**
   * CUDA_VISIBLE_DEVICES in a login shell of `user`, through su and
   * /etc/profile: null when unset, else its value. `shell` picks the login
   * shell (/bin/sh is dash on Debian). Also returns which shell ran.
   */
  async loginEnv(user: string, shell: '/bin/bash' | '/bin/sh'): Promise<{ value: string | null; shell: string; raw: RunResult }> {
    // printenv prints the value and exits 0 when set (even to ""), exits 1 when unset.
    const script = 'printenv CUDA_VISIBLE_DEVICES; echo "rc=$?"; echo "shell=$0 bash=${BASH_VERSION:-none}"';
    const raw = await this.chroot(['su', '--login', '--shell', shell, user, '--command', script]);
    if (raw.code !== 0) throw new Error(`su -l -s ${shell} ${user} failed (exit ${raw.code}): ${raw.stderr.trim()}`);
    const lines = raw.stdout.split('\n');
    const rcAt = lines.findIndex((l) => /^rc=\d+$/.test(l));
    const rc = Number(lines[rcAt]!.slice(3));
    const shellLine = lines[rcAt + 1] ?? '';
    if (rc === 0) return { value: lines[rcAt - 1] ?? '', shell: shellLine, raw };
    if (rc === 1) return { value: null, shell: shellLine, raw };
    throw new Error(`printenv exited ${rc} in ${user}'s login shell: ${raw.stdout}${raw.stderr}`);
  }
}

/** The built CLI, run from outside against the root (--root mode). */
export async function reconcileOutside(root: DebianRoot, args: string[]): Promise<RunResult> {
  return run(process.execPath, [bin, ...args, '--desired', desired, '--root', root.dir], { ...ROOT_ENV, HOME: os.homedir() });
}
