// The simulated fleet for the Ansible role's tests: a prepared Debian base
// (the `full` test root, seeded as DS01 after the second incident, with
// nodejs from its apt cache, sshd host keys and the controller's key), twenty
// hosts made by fleet-sim.sh, the role's inputs (bundle, desired state,
// inventory), and ansible-playbook run from the controller's namespace.

import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { bin, DebianRoot, repo, ROOT_ENV, type Gate } from '../integration/debian/debian-root.js';

export const SIM = path.join(repo, 'test/fleet/fleet-sim.sh');
export const DESIRED = path.join(repo, 'desired-state/ds01.yaml');
export const STATES = ['incident-2', 'incident-1', 'converged', 'wrapper-copied', 'video-restricted'] as const;

/** The `full` Debian test root's cache path (scripts/debian-test-root.sh full). */
export function fullTarball(): string {
  const fromEnv = process.env.RECONCILE_DEBIAN_FULL_ROOT_TARBALL;
  if (fromEnv) return fromEnv;
  const release = /^VERSION_CODENAME=["']?([\w-]+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  const recipe = /^RECIPE_VERSION=(\d+)/m.exec(readFileSync(path.join(repo, 'scripts/debian-test-root.sh'), 'utf8'))?.[1] ?? '0';
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  return `/var/cache/reconcile-test/debian-${release}-${arch}-full-v${recipe}.tar.gz`;
}

export async function fleetGate(): Promise<Gate> {
  if (process.platform !== 'linux') return { skip: 'needs Linux namespaces' };
  if (process.getuid?.() !== 0) return { skip: 'needs root: network, mount and PID namespaces, overlayfs, mknod' };
  const tarball = fullTarball();
  if (!existsSync(tarball)) return { skip: `no full Debian test root at ${tarball}; build it with \`bash scripts/debian-test-root.sh full\`` };
  if (!existsSync(bin) || !existsSync(path.join(repo, 'dist/bundle/reconcile.cjs'))) return { skip: 'dist/ is missing; run `npm run build` first' };
  for (const tool of ['ansible-playbook', 'ip', 'unshare', 'ssh', 'ssh-keygen']) {
    if ((await execa('sh', ['-c', 'command -v "$1"', 'sh', tool], { reject: false })).exitCode !== 0) return { skip: `${tool} is not installed` };
  }
  return { tarball };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** One line of PLAY RECAP per host. */
export type Recap = Record<string, { ok: number; changed: number; unreachable: number; failed: number }>;

export function parseRecap(stdout: string): Recap {
  const recap: Recap = {};
  const at = stdout.lastIndexOf('PLAY RECAP');
  for (const m of stdout.slice(at).matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    recap[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) };
  }
  return recap;
}

export class Fleet {
  readonly hosts: string[];
  private base?: DebianRoot;
  /** Seconds fleet-sim.sh took to bring the hosts up and to take them down. */
  upSeconds = 0;
  downSeconds = 0;
  private constructor(readonly work: string, readonly count: number) {
    this.hosts = Array.from({ length: count }, (_, i) => `h${i + 1}`);
  }

  static async create(count: number): Promise<Fleet> {
    return new Fleet(await fs.mkdtemp(path.join(os.tmpdir(), 'rcf-')), count);
  }

  stateOf(host: string): (typeof STATES)[number] {
    return STATES[(Number(host.slice(1)) - 1) % STATES.length]!;
  }

  upper(host: string): string {
    return path.join(this.work, 'hosts', host, 'upper');
  }

  get reports(): string {
    return path.join(this.work, 'reports');
  }

  private sim(args: string[]) {
    return execa(SIM, args, { env: { ...ROOT_ENV, PATH: `${path.dirname(process.execPath)}:${ROOT_ENV.PATH}` }, extendEnv: false, stdin: 'ignore' });
  }

  /** The base, the seeded hosts, the role's inputs; then the hosts come up. */
  async up(tarball: string): Promise<void> {
    this.base = await DebianRoot.extract(tarball);
    await fs.symlink(this.base.dir, path.join(this.work, 'base'));
    await this.base.seedIncident();
    await this.base.must(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-download', '--no-install-recommends', 'nodejs']);
    await this.base.must(['ssh-keygen', '-A']);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(this.work, 'id')]);
    await fs.mkdir(this.base.path('/root/.ssh'), { recursive: true, mode: 0o700 });
    await fs.copyFile(path.join(this.work, 'id.pub'), this.base.path('/root/.ssh/authorized_keys'));
    await fs.chmod(this.base.path('/root/.ssh/authorized_keys'), 0o600);

    // Seeded two at a time: most seeds run reconcile --apply, and there are two cores.
    const seed = async (host: string) =>
      execa('unshare', ['--mount', '--propagation', 'private', SIM, 'seed', this.work, host.slice(1), this.stateOf(host), bin, DESIRED, path.join(repo, 'examples/hosts')], {
        env: { ...ROOT_ENV, PATH: `${path.dirname(process.execPath)}:${ROOT_ENV.PATH}` },
        extendEnv: false,
      });
    for (let i = 0; i < this.hosts.length; i += 2) await Promise.all(this.hosts.slice(i, i + 2).map(seed));
    await this.writeRoleInputs();
    const started = process.hrtime.bigint();
    await this.sim(['up', this.work, String(this.count)]);
    this.upSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  }

  /** Bundle tarball (the shipped command dist/bundle/ with its data), desired state, inventory, playbooks. */
  private async writeRoleInputs(): Promise<void> {
    await execa('tar', ['-C', repo, '--owner=0', '--group=0', '--exclude=dist/bundle/meta.json', '-czf', path.join(this.work, 'reconcile-bundle.tar.gz'), 'package.json', 'dist/bundle', 'schema', 'rules', 'desired-state']);
    await fs.mkdir(path.join(this.work, 'desired-state'));
    await fs.copyFile(DESIRED, path.join(this.work, 'desired-state/ds01.yaml'));
    const inventory = [
      '[gpu_servers]',
      ...this.hosts.map((h) => `${h} ansible_host=10.213.${h.slice(1)}.2`),
      '',
      '[all:vars]',
      'ansible_user=root',
      `ansible_ssh_private_key_file=${path.join(this.work, 'id')}`,
      'ansible_python_interpreter=/usr/bin/python3',
      '',
    ].join('\n');
    await fs.writeFile(path.join(this.work, 'inventory.ini'), inventory);
    // The README's playbook, with the paths of this simulation.
    await fs.writeFile(
      path.join(this.work, 'site.yml'),
      [
        '- name: GPU servers in their declared state',
        '  hosts: gpu_servers',
        '  gather_facts: false',
        `  vars: { reconcile_bundle: ${this.work}/reconcile-bundle.tar.gz, reconcile_desired_src: ${this.work}/desired-state, reconcile_reports_dir: ${this.reports} }`,
        '  roles: [reconcile]',
        '',
      ].join('\n'),
    );
    // Ansible's own no-op: one ping, without facts (as the role's play) and with them (the default play).
    await fs.writeFile(path.join(this.work, 'ping.yml'), '- hosts: gpu_servers\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n');
    await fs.writeFile(path.join(this.work, 'ping-facts.yml'), '- hosts: gpu_servers\n  gather_facts: true\n  tasks:\n    - ansible.builtin.ping:\n');
    await fs.mkdir(path.join(this.work, 'home'));
  }

  /**
   * ansible-playbook from the controller's namespace, as PID 1 of its own PID
   * namespace: the ssh control masters it leaves behind die with it.
   */
  async playbook(file: string, args: string[] = []): Promise<Run> {
    const env = {
      ...ROOT_ENV,
      HOME: path.join(this.work, 'home'),
      // The role's recommended config (forks, pipelining, ControlPersist), for the ping playbooks too.
      ANSIBLE_CONFIG: path.join(repo, 'contrib/ansible/ansible.cfg'),
      ANSIBLE_ROLES_PATH: path.join(repo, 'contrib/ansible/roles'),
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_FORKS: String(Math.max(this.count, 20)),
      ANSIBLE_TIMEOUT: '5',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_GATHERING: 'explicit',
      ANSIBLE_LOCAL_TEMP: path.join(this.work, 'home/tmp'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(this.work, 'home/cp'),
    };
    const started = process.hrtime.bigint();
    const r = await execa(
      SIM,
      ['ctl', this.work, 'unshare', '--pid', '--fork', '--kill-child', 'ansible-playbook', '-i', path.join(this.work, 'inventory.ini'), path.join(this.work, file), ...args],
      { env, extendEnv: false, reject: false, stdin: 'ignore', cwd: this.work },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), seconds };
  }

  /**
   * A command on a host over its own sshd, from the controller's namespace; its stdout.
   * ssh hands the host's shell one line, so each argument is quoted for it.
   */
  async ssh(host: string, argv: string[]): Promise<string> {
    const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`);
    return String((await execa(SIM, ['ctl', this.work, 'ssh', '-i', path.join(this.work, 'id'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', `root@10.213.${host.slice(1)}.2`, '--', ...quoted], { stdin: 'ignore' })).stdout);
  }

  /** Cuts a host's veth on the controller side: it becomes unreachable. */
  async cutLink(host: string): Promise<void> {
    await execa(SIM, ['ctl', this.work, 'ip', 'link', 'set', host, 'down']);
  }

  /**
   * Every path, type, mode, owner, size, link target and (but for directories)
   * mtime in a host's own layer, sorted. A directory's mtime moves with any
   * transient file in it (the apply lock, a temp file renamed away); what
   * stays is in the listing.
   */
  async snapshot(host: string, exclude: string[]): Promise<string> {
    const r = await execa('find', [this.upper(host), '(', '-type', 'd', '-printf', '%P %y %m %U:%G %l\n', ')', '-o', '-printf', '%P %y %m %U:%G %s %T@ %l\n']);
    return String(r.stdout)
      .split('\n')
      .filter((l) => !exclude.some((e) => l === e || l.startsWith(`${e}/`) || l.startsWith(`${e} `)))
      .sort()
      .join('\n');
  }

  async down(): Promise<void> {
    try {
      const started = process.hrtime.bigint();
      if (existsSync(path.join(this.work, 'pids')) || existsSync(path.join(this.work, 'netns'))) await this.sim(['down', this.work]);
      this.downSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    } finally {
      await this.base?.cleanup();
      await fs.rm(this.work, { recursive: true, force: true });
    }
  }
}
