// The Debian package for real: built with `scripts/build-deb.sh` (what `npm
// run package` runs), checked with lintian, then installed with apt-get into a
// fresh copy of the `full` Debian test root, which resolves Debian's own
// nodejs from its cached .debs (no network, no copied node binary). The
// installed command plans from the installed files alone; the man page
// renders; the units pass `systemd-analyze verify`; `dpkg -r` then `dpkg -P`
// leave only the admin's desired state and /var/lib/reconcile.

import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { DebianRoot, describeWithDebianRoot, repo, ROOT_ENV, type Gate, type RunResult } from '../integration/debian/debian-root.js';

/** The full profile's cache path (scripts/debian-test-root.sh full), or the env override. */
function fullTarball(): string | null {
  const fromEnv = process.env.RECONCILE_DEBIAN_FULL_ROOT_TARBALL;
  if (fromEnv) return fromEnv;
  const dir = '/var/cache/reconcile-test';
  if (!existsSync(dir)) return null;
  return path.join(dir, 'debian-bookworm-amd64-full-v3.tar.gz');
}

async function fullRootGate(): Promise<Gate> {
  if (process.platform !== 'linux') return { skip: `needs Linux (chroot, dpkg), this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { skip: 'needs root: chroot, apt-get and dpkg inside the test root' };
  const tarball = fullTarball();
  const build = 'build it with `bash scripts/debian-test-root.sh full` (cached after that)';
  if (!tarball || !existsSync(tarball)) return { skip: `no full Debian test root${tarball ? ` at ${tarball}` : ''}; ${build}` };
  if (!existsSync(path.join(repo, 'dist/bundle/reconcile.cjs'))) return { skip: 'dist/bundle/reconcile.cjs is missing; run `npm run build` first' };
  for (const tool of ['dpkg-deb', 'pandoc', 'lintian']) {
    if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode !== 0) return { skip: `${tool} is not installed (apt-get install dpkg-dev pandoc lintian)` };
  }
  return { tarball };
}

const gate = await fullRootGate();

const APT_ENV = { ...ROOT_ENV, DEBIAN_FRONTEND: 'noninteractive' };
const ADMIN_STATE = '/etc/reconcile/desired-state/site.yaml';

describeWithDebianRoot(gate, 'the Debian package, installed with apt-get in a Debian root', (tarball) => {
  let root: DebianRoot | undefined;
  let deb = '';
  let install: RunResult;
  /** Paths in the package, and whether each existed in the root before the install. */
  const before = new Map<string, boolean>();

  const inRoot = (argv: string[], env: Record<string, string> = ROOT_ENV) =>
    execa('chroot', [root!.dir, ...argv], { reject: false, env, extendEnv: false, stdin: 'ignore' }).then((r) => ({
      code: r.exitCode ?? -1,
      stdout: String(r.stdout),
      stderr: String(r.stderr),
    }));

  beforeAll(async () => {
    const built = await execa('bash', ['scripts/build-deb.sh'], { cwd: repo, env: { RECONCILE_LINTIAN: '0' }, stdin: 'ignore' });
    deb = path.join(repo, String(built.stdout).trim().split('\n').pop()!);
    root = await DebianRoot.extract(tarball);
    await root.seedIncident();
    await root.mountProc();
    const listing = await execa('dpkg-deb', ['--fsys-tarfile', deb]).pipe('tar', ['-t']);
    for (const entry of String(listing.stdout).split('\n').filter(Boolean)) {
      const inside = entry.replace(/^\.\/?/, '/').replace(/(.)\/$/, '$1');
      before.set(inside, await fs.lstat(root.path(inside)).then(() => true, () => false));
    }
    await fs.copyFile(deb, root.path(`/tmp/${path.basename(deb)}`));
    // apt-get wants a path (./x.deb) to tell a file from a package name.
    install = await inRoot(['sh', '-c', `cd /tmp && apt-get install -y --no-install-recommends ./${path.basename(deb)}`], APT_ENV);
  }, 600_000);

  afterAll(async () => {
    await root?.cleanup();
  });

  it('is named reconcile_<version>_all.deb and passes lintian with no errors', async () => {
    const version = (JSON.parse(await fs.readFile(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
    expect(path.basename(deb)).toBe(`reconcile_${version}_all.deb`);
    const lintian = await execa('lintian', ['--fail-on', 'error', deb], { reject: false, stdin: 'ignore' });
    expect({ code: lintian.exitCode, errors: String(lintian.stdout).split('\n').filter((l) => l.startsWith('E:')) }).toEqual({ code: 0, errors: [] });
    const control = String((await execa('dpkg-deb', ['--field', deb, 'Depends', 'Architecture'])).stdout);
    expect(control).toContain('Depends: nodejs (>= 18.20)');
    expect(control).toContain('Architecture: all');
  }, 600_000);

  it("installs with apt-get, which pulls in Debian's own nodejs", async () => {
    expect(install.stderr).not.toMatch(/^E: (?!Can not write log)/m);
    expect(install.code).toBe(0);
    const status = async (pkg: string) => (await inRoot(['dpkg-query', '-W', '-f', '${Status} ${Version}', pkg])).stdout;
    expect(await status('reconcile')).toMatch(/^install ok installed /);
    expect(await status('nodejs')).toMatch(/^install ok installed 18\.\d+/);
    expect((await inRoot(['node', '--version'])).stdout.trim()).toMatch(/^v18\.(2\d|[3-9]\d)\./);
  });

  it('plans the incident host from the installed files alone, with no node_modules anywhere', async () => {
    // Debian's nodejs makes its own module directories (dpkg knows them); none
    // is reconcile's, and none holds what the bundle has inlined.
    const modules = (await inRoot(['find', '/', '-xdev', '-name', 'node_modules'])).stdout.trim().split('\n').filter(Boolean);
    for (const dir of modules) {
      const owner = await inRoot(['dpkg', '-S', dir]);
      expect({ dir, owner: owner.stdout.split(':')[0] }).not.toEqual({ dir, owner: 'reconcile' });
      expect({ dir, code: owner.code }).toEqual({ dir, code: 0 });
      for (const dep of ['yaml', 'execa', 'ajv', 'diff']) expect(existsSync(root!.path(`${dir}/${dep}`))).toBe(false);
    }
    expect((await inRoot(['reconcile', '--version'])).stdout.trim()).toMatch(/^reconcile \d+\.\d+\.\d+$/);
    expect((await inRoot(['reconcile', '--validate', '--desired', '/usr/share/reconcile/desired-state/ds01.yaml'])).code).toBe(0);
    const plan = await inRoot(['reconcile', '--plan', '--format', 'json', '--desired', '/usr/share/reconcile/desired-state/ds01.yaml']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    const json = JSON.parse(plan.stdout) as { changes: { target: string }[]; findings: { rule: string }[] };
    expect(json.changes.map((c) => c.target)).toEqual(expect.arrayContaining(['video', '/usr/local/bin/nvidia-smi']));
    expect(json.findings.map((f) => f.rule)).toContain('nvidia-smi-wrapper');
    // With nothing in /etc/reconcile/desired-state yet, it asks for --desired.
    const unconfigured = await inRoot(['reconcile', '--plan']);
    expect(unconfigured.code).toBe(1);
    expect(unconfigured.stderr).toContain('--desired');
  });

  it('installs /etc/reconcile/desired-state empty and root-owned 0755, and the bundled examples', async () => {
    const st = await fs.stat(root!.path('/etc/reconcile/desired-state'));
    expect({ mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid }).toEqual({ mode: '755', uid: 0, gid: 0 });
    expect(await fs.readdir(root!.path('/etc/reconcile/desired-state'))).toEqual([]);
    for (const p of ['/usr/share/reconcile/schema/desired-state.schema.json', '/usr/share/reconcile/rules/nvidia-smi-wrapper.yaml', '/usr/share/reconcile/desired-state/ds01.yaml']) {
      expect({ p, there: existsSync(root!.path(p)) }).toEqual({ p, there: true });
    }
  });

  it('renders reconcile(8) with man -l and man reconcile', async () => {
    const env = { ...ROOT_ENV, MANWIDTH: '80' };
    const byFile = await inRoot(['man', '-P', 'cat', '-l', '/usr/share/man/man8/reconcile.8.gz'], env);
    const byName = await inRoot(['man', '-P', 'cat', '8', 'reconcile'], env);
    for (const r of [byFile, byName]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^NAME\n\s+reconcile - /m);
      expect(r.stdout).toMatch(/reconcile\s+--plan\s+\[--desired\s+PATH\]/);
      expect(r.stdout).toMatch(/^EXIT STATUS$/m);
    }
    const warnings = await inRoot(['man', '--warnings', '-l', '/usr/share/man/man8/reconcile.8.gz'], env);
    expect(warnings.stderr).toBe('');
  });

  it('installs the cron.d file as a conffile, and the units, which pass systemd-analyze verify and are not enabled', async () => {
    expect((await inRoot(['dpkg-query', '-W', '-f', '${Conffiles}', 'reconcile'])).stdout).toContain('/etc/cron.d/reconcile-check');
    const cron = await fs.readFile(root!.path('/etc/cron.d/reconcile-check'), 'utf8');
    expect(cron).toMatch(/^17 +3 .* root \[ -x \/usr\/bin\/reconcile \] && \/usr\/bin\/reconcile --check /m);
    const units = ['/lib/systemd/system/reconcile-check.service', '/lib/systemd/system/reconcile-check.timer'];
    const verify = await inRoot(['systemd-analyze', 'verify', ...units]);
    expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await fs.readFile(root!.path(units[0]!), 'utf8')).toMatch(/^ExecStart=\/usr\/bin\/reconcile --check /m);
    const enabled = await inRoot(['systemctl', 'is-enabled', 'reconcile-check.timer']);
    expect(enabled.stdout.trim()).toBe('disabled');
    expect(existsSync(root!.path('/etc/systemd/system/timers.target.wants/reconcile-check.timer'))).toBe(false);
    expect(existsSync(root!.path('/usr/share/bash-completion/completions/reconcile'))).toBe(true);
  });

  it('completes modes and their flags in bash', async () => {
    const complete = (line: string) =>
      inRoot([
        'bash',
        '-c',
        `. /usr/share/bash-completion/completions/reconcile; COMP_WORDS=(${line}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _reconcile; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ]);
    expect((await complete('reconcile --pl')).stdout.trim()).toBe('--plan');
    expect((await complete("reconcile --plan --f")).stdout.trim()).toBe('--format');
    expect((await complete("reconcile --plan --format ''")).stdout.trim().split('\n')).toEqual(['text', 'json', 'markdown']);
    expect((await complete("reconcile --apply --format ''")).stdout.trim().split('\n')).toEqual(['text', 'json']);
  });

  it('dpkg -r then dpkg -P leave nothing but the admin desired state and /var/lib/reconcile', async () => {
    await fs.writeFile(root!.path(ADMIN_STATE), 'version: 1\nresources: []\n');
    // An apply leaves its journal in /var/lib/reconcile: the admin's history, kept on purge.
    const apply = await inRoot(['reconcile', '--apply', '--desired', '/usr/share/reconcile/desired-state/ds01.yaml']);
    expect(apply.code).toBe(0);
    expect(existsSync(root!.path('/var/lib/reconcile/runs'))).toBe(true);

    const remove = await inRoot(['dpkg', '-r', 'reconcile']);
    expect(remove.code).toBe(0);
    expect(existsSync(root!.path('/usr/bin/reconcile'))).toBe(false);
    // The conffile stays until purge, and does nothing without the command.
    expect(existsSync(root!.path('/etc/cron.d/reconcile-check'))).toBe(true);
    const cronLine = (await fs.readFile(root!.path('/etc/cron.d/reconcile-check'), 'utf8')).match(/^17 +3 +\* +\* +\* +root +(.*)$/m)![1]!;
    // cron mails what a job prints: nothing here.
    const orphan = await inRoot(['sh', '-c', cronLine]);
    expect(orphan.stdout + orphan.stderr).toBe('');

    const purge = await inRoot(['dpkg', '-P', 'reconcile']);
    expect(purge.code).toBe(0);
    const left = [...before].filter(([p, existed]) => !existed && existsSync(root!.path(p))).map(([p]) => p);
    expect(left.sort()).toEqual(['/etc/reconcile', '/etc/reconcile/desired-state']);
    expect(await fs.readFile(root!.path(ADMIN_STATE), 'utf8')).toContain('version: 1');
    expect(existsSync(root!.path('/var/lib/reconcile/runs'))).toBe(true);
    // Nothing else named after the package, outside man-db's own cache of pages it rendered.
    const named = await inRoot(['find', '/', '-xdev', '-name', '*reconcile*', '-not', '-path', '/tmp/*', '-not', '-path', '/var/cache/man/*']);
    expect(named.stdout.trim().split('\n').sort()).toEqual(['/etc/reconcile', '/var/lib/reconcile']);
    const gone = await inRoot(['dpkg-query', '-W', '-f', '${Status}', 'reconcile']);
    expect(gone.code !== 0 || /not-installed/.test(gone.stdout)).toBe(true);
  });
});
