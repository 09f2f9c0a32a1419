// The Ansible role on twenty simulated hosts, each with its own network
// namespace, sshd and copy-on-write Debian root (test/fleet/fleet-sim.sh),
// driven by the machine's real ansible-playbook. One jest file, since the
// fleet is built once: check mode, converge, no-op, Ansible's own ping for
// scale, and one unreachable host. Figures are printed, not asserted.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { bin, describeWithDebianRoot, repo, ROOT_ENV } from '../integration/debian/debian-root.js';
import { Fleet, fleetGate, parseRecap, type Recap } from './fleet.js';

const COUNT = 20;
// Ansible's own bookkeeping on the host (its temp dirs), sshd's login records and the
// check's report (rewritten each run by design) are not the managed state.
// Tools' own bookkeeping, not host state: Ansible's temp dirs, logs, the last check's record, reconcile's load cache.
const NOT_MANAGED = ['root/.ansible', 'tmp', 'var/log', 'var/lib/reconcile/last-check.json', 'var/cache/reconcile/load'];

async function merge(fleet: Fleet, format = 'text') {
  const r = await execa(process.execPath, [bin, '--report-merge', fleet.reports, '--format', format], { reject: false, env: ROOT_ENV });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function expectAll(recap: Recap, hosts: string[], pred: (h: Recap[string], host: string) => boolean) {
  expect(Object.keys(recap).sort()).toEqual([...hosts].sort());
  expect(hosts.filter((h) => !pred(recap[h]!, h))).toEqual([]);
}

const gate = await fleetGate();
describeWithDebianRoot(gate, 'the reconcile role on a fleet of twenty hosts', (tarball) => {
  let fleet: Fleet;
  const figures: string[] = [];
  let converge = 0;
  let noop = 0;

  beforeAll(async () => {
    fleet = await Fleet.create(COUNT);
    const started = Date.now();
    await fleet.up(tarball);
    figures.push(`fleet of ${COUNT} prepared and up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const install = await fleet.playbook('site.yml', ['--tags', 'reconcile_install']);
    if (install.code !== 0) throw new Error(`installing reconcile on the fleet failed (exit ${install.code}):\n${install.stdout}\n${install.stderr}`);
    figures.push(`install run: ${install.seconds.toFixed(1)} s`);
  }, 900_000);

  afterAll(async () => {
    await fleet?.down();
    if (fleet?.upSeconds) figures.push(`namespaces + sshds up in ${fleet.upSeconds.toFixed(2)} s, down in ${fleet.downSeconds.toFixed(2)} s`);
    if (figures.length > 0) console.log(`fleet figures (2 cores, ${COUNT} hosts):\n  ${figures.join('\n  ')}`);
  });

  it('check mode shows each host its pending changes as diffs, and touches nothing', async () => {
    const before = await Promise.all(fleet.hosts.map((h) => fleet.snapshot(h, NOT_MANAGED)));
    const r = await fleet.playbook('site.yml', ['--check', '--diff']);
    figures.push(`check --diff run: ${r.seconds.toFixed(1)} s`);
    expect({ code: r.code, fatal: r.stdout.split('\n').filter((l) => l.startsWith('fatal:')).map((l) => l.slice(0, 400)) }).toEqual({ code: 0, fatal: [] });
    const recap = parseRecap(r.stdout);
    expectAll(recap, fleet.hosts, (h, host) => h.failed === 0 && h.unreachable === 0 && (h.changed > 0) === (fleet.stateOf(host) !== 'converged'));
    // reconcile's unified diff of the profile script, and its own lines for a group and a deletion.
    expect(r.stdout).toContain('+++ after: /etc/profile.d/ds01-gpu-awareness.sh (desired)');
    expect(r.stdout).toMatch(/^~ video {2}\(group video-includes-docker\)/m);
    expect(r.stdout).toMatch(/^- \/usr\/local\/bin\/nvidia-smi {2}\(absent nvidia-smi-wrappers\)/m);
    const after = await Promise.all(fleet.hosts.map((h) => fleet.snapshot(h, NOT_MANAGED)));
    expect(after).toEqual(before);

    const table = await merge(fleet);
    expect(table.stdout).toMatch(new RegExp(`^Fleet: ${COUNT} hosts: ${COUNT / 5} ok, ${COUNT - COUNT / 5} drifted, 0 failed\\.`));
  }, 600_000);

  it("check mode plans with the controller's desired state when a host's copy is stale, and writes nothing", async () => {
    // h3 is converged; without its desired-state file, a plan from the host's copy would fail.
    await fleet.ssh('h3', ['rm', '/etc/reconcile/desired-state/ds01.yaml']);
    const before = await fleet.snapshot('h3', NOT_MANAGED);
    const r = await fleet.playbook('site.yml', ['--check', '--limit', 'h3']);
    expect({ code: r.code, recap: parseRecap(r.stdout).h3 }).toEqual({ code: 0, recap: { ok: 1, changed: 1, unreachable: 0, failed: 0 } });
    const report = JSON.parse(await fs.readFile(path.join(fleet.reports, 'h3.json'), 'utf8')) as { changes: unknown[]; errors: unknown[] };
    expect({ changes: report.changes.length, errors: report.errors }).toEqual({ changes: 0, errors: [] });
    expect(await fleet.snapshot('h3', NOT_MANAGED)).toEqual(before);
    // --tags reconcile_install puts the file back, and neither plans nor applies.
    const install = await fleet.playbook('site.yml', ['--tags', 'reconcile_install', '--limit', 'h3']);
    expect({ code: install.code, recap: parseRecap(install.stdout).h3 }).toEqual({ code: 0, recap: { ok: 1, changed: 1, unreachable: 0, failed: 0 } });
    expect(await fleet.ssh('h3', ['stat', '-c', '%U:%G %a', '/etc/reconcile/desired-state/ds01.yaml'])).toBe('root:root 644');
  }, 600_000);

  it('a real run converges all twenty; the fleet table says every host is ok', async () => {
    const r = await fleet.playbook('site.yml');
    converge = r.seconds;
    figures.push(`converge run: ${r.seconds.toFixed(1)} s`);
    expect(r.code).toBe(0);
    expectAll(parseRecap(r.stdout), fleet.hosts, (h, host) => h.failed === 0 && (h.changed > 0) === (fleet.stateOf(host) !== 'converged'));
    const table = await merge(fleet, 'json');
    expect(table.code).toBe(0);
    expect(JSON.parse(table.stdout).totals).toEqual({ ok: COUNT, drift: 0, failed: 0 });
  }, 600_000);

  it('a second run changes nothing on any host', async () => {
    const before = await Promise.all(fleet.hosts.map((h) => fleet.snapshot(h, NOT_MANAGED)));
    const r = await fleet.playbook('site.yml');
    noop = r.seconds;
    figures.push(`no-op run: ${r.seconds.toFixed(1)} s`);
    expect(r.code).toBe(0);
    expectAll(parseRecap(r.stdout), fleet.hosts, (h) => h.changed === 0 && h.failed === 0 && h.unreachable === 0);
    expect(await Promise.all(fleet.hosts.map((h) => fleet.snapshot(h, NOT_MANAGED)))).toEqual(before);
  }, 600_000);

  it("costs a converged host one ssh round trip, as Ansible's ping does", async () => {
    // Each module run, temp dir or file transfer is one `SSH: EXEC` at -vvv.
    const execs = (r: { stdout: string }) => r.stdout.split('\n').filter((l) => l.includes('SSH: EXEC')).length;
    const site = await fleet.playbook('site.yml', ['--limit', 'h1', '-vvv']);
    const ping = await fleet.playbook('ping.yml', ['--limit', 'h1', '-vvv']);
    expect([site.code, ping.code]).toEqual([0, 0]);
    expect(parseRecap(site.stdout).h1).toEqual({ ok: 1, changed: 0, unreachable: 0, failed: 0 });
    expect({ site: execs(site), ping: execs(ping) }).toEqual({ site: 1, ping: 1 });
    // And that one runs reconcile itself, not Ansible's Python module: the host has this package and this desired state.
    const exec = site.stdout.split('\n').find((l) => l.includes('SSH: EXEC'))!;
    expect(exec).toContain('/usr/local/bin/reconcile --apply --detailed-exitcode --format json --desired /etc/reconcile/desired-state');
    expect(exec).toMatch(/--desired-digest sha256:[0-9a-f]{64}/);
    expect(exec).not.toContain('python');
  }, 600_000);

  it("keeps each host's desired state the controller's: a host's edit is undone, a file dropped on the controller goes, a stranger stays", async () => {
    const desiredSrc = path.join(fleet.work, 'desired-state');
    const host = (p: string) => `/etc/reconcile/desired-state/${p}`;
    // A hand edit on h2: the direct run refuses it (exit 3), the module puts the controller's copy back and applies.
    await fleet.ssh('h2', ['sh', '-c', `echo '# edited on the host' >> ${host('ds01.yaml')}`]);
    // A second file on the controller: placed, then removed from the controller and so from the host.
    await fs.writeFile(path.join(desiredSrc, 'extra.yaml'), 'version: 1\nresources: []\n');
    const placed = await fleet.playbook('site.yml', ['--limit', 'h2']);
    expect({ code: placed.code, recap: parseRecap(placed.stdout).h2 }).toEqual({ code: 0, recap: { ok: 1, changed: 1, unreachable: 0, failed: 0 } });
    expect(await fleet.ssh('h2', ['cat', host('ds01.yaml')])).toBe((await fs.readFile(path.join(desiredSrc, 'ds01.yaml'), 'utf8')).trimEnd());
    expect(await fleet.ssh('h2', ['ls', '-A', host('')])).toBe('.reconcile-role.json\nds01.yaml\nextra.yaml');
    await fs.rm(path.join(desiredSrc, 'extra.yaml'));
    // A file nobody told the role about is left where it is, with a warning.
    await fleet.ssh('h2', ['sh', '-c', `echo 'version: 1' > ${host('local.yaml.disabled')}`]);
    const removed = await fleet.playbook('site.yml', ['--limit', 'h2']);
    expect({ code: removed.code, recap: parseRecap(removed.stdout).h2 }).toEqual({ code: 0, recap: { ok: 1, changed: 1, unreachable: 0, failed: 0 } });
    expect(await fleet.ssh('h2', ['ls', '-A', host('')])).toBe('.reconcile-role.json\nds01.yaml\nlocal.yaml.disabled');
    expect(`${removed.stdout}${removed.stderr}`.replace(/\s+/g, ' ')).toMatch(/\[WARNING\]: .*desired-state holds what the controller's desired state does not: local\.yaml\.disabled/);
    await fleet.ssh('h2', ['rm', host('local.yaml.disabled')]);
    // Back to the direct path: nothing changed, one ssh round trip.
    const again = await fleet.playbook('site.yml', ['--limit', 'h2', '-vvv']);
    expect({ code: again.code, recap: parseRecap(again.stdout).h2 }).toEqual({ code: 0, recap: { ok: 1, changed: 0, unreachable: 0, failed: 0 } });
    expect(again.stdout.split('\n').filter((l) => l.includes('SSH: EXEC')).length).toBe(1);
  }, 600_000);

  it('runs as root through become for a deploy user with sudo, directly, and converges a drifted host so', async () => {
    // h5: a login account with passwordless sudo, as fleets usually are; the role's task runs with become.
    // No password (`*`), but not locked (`!`): sshd without PAM refuses a locked account even with a key.
    await fleet.ssh('h5', ['useradd', '--create-home', '--shell', '/bin/bash', '--password', '*', 'deploy']);
    await fleet.ssh('h5', ['install', '-d', '-o', 'deploy', '-g', 'deploy', '-m', '0700', '/home/deploy/.ssh']);
    await fleet.ssh('h5', ['install', '-o', 'deploy', '-g', 'deploy', '-m', '0600', '/root/.ssh/authorized_keys', '/home/deploy/.ssh/authorized_keys']);
    await fleet.ssh('h5', ['sh', '-c', "echo 'deploy ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/deploy && chmod 0440 /etc/sudoers.d/deploy && visudo -cf /etc/sudoers.d/deploy"]);
    const become = ['--limit', 'h5', '-e', 'ansible_user=deploy', '-e', 'ansible_become=true'];
    const same = await fleet.playbook('site.yml', [...become, '-vvv']);
    expect({ code: same.code, recap: parseRecap(same.stdout).h5 }).toEqual({ code: 0, recap: { ok: 1, changed: 0, unreachable: 0, failed: 0 } });
    const execs = same.stdout.split('\n').filter((l) => l.includes('SSH: EXEC'));
    expect(execs.length).toBe(1);
    expect(execs[0]).toMatch(/User="?deploy"?/);
    expect(execs[0]).toMatch(/sudo -H -S -n\s+-u root .*\/usr\/local\/bin\/reconcile --apply/);
    await fleet.ssh('h5', ['gpasswd', '-M', 'admin1', 'video']);
    const drifted = await fleet.playbook('site.yml', become);
    expect({ code: drifted.code, recap: parseRecap(drifted.stdout).h5 }).toEqual({ code: 0, recap: { ok: 1, changed: 1, unreachable: 0, failed: 0 } });
    expect((await fleet.ssh('h5', ['getent', 'group', 'video'])).split(':')[3]!.split(',').sort()).toEqual(expect.arrayContaining(['admin1', 'alice', 'bob']));
    const report = JSON.parse(await fs.readFile(path.join(fleet.reports, 'h5.json'), 'utf8')) as { changes: unknown[]; errors: unknown[] };
    expect({ changes: report.changes.length, errors: report.errors }).toEqual({ changes: 0, errors: [] });
  }, 600_000);

  it("compares with Ansible's own no-op playbook (one ping task), without and with fact gathering", async () => {
    const ratio = (s: number) => `converge ${(converge / s).toFixed(2)}x, no-op ${(noop / s).toFixed(2)}x`;
    const ping = await fleet.playbook('ping.yml');
    expect(ping.code).toBe(0);
    expectAll(parseRecap(ping.stdout), fleet.hosts, (h) => h.ok === 1);
    const facts = await fleet.playbook('ping-facts.yml');
    expect(facts.code).toBe(0);
    expectAll(parseRecap(facts.stdout), fleet.hosts, (h) => h.ok === 2);
    figures.push(`ansible ping playbook: ${ping.seconds.toFixed(1)} s without facts (as the role's play), ${facts.seconds.toFixed(1)} s with them`);
    figures.push(`against ping without facts: ${ratio(ping.seconds)}; with facts: ${ratio(facts.seconds)} (goal: converge <= 2x)`);
  }, 600_000);

  it('an unreachable host fails alone: the others converge, and the fleet table names it', async () => {
    const drifted = ['h3', 'h8', 'h13'];
    for (const h of drifted) await fleet.ssh(h, ['gpasswd', '-M', 'admin1', 'video']);
    await fleet.cutLink('h20');
    const r = await fleet.playbook('site.yml');
    expect(r.code).not.toBe(0);
    const recap = parseRecap(r.stdout);
    expect(recap.h20!.unreachable).toBe(1);
    const others = fleet.hosts.filter((h) => h !== 'h20');
    expect(others.filter((h) => recap[h]!.failed !== 0 || recap[h]!.unreachable !== 0)).toEqual([]);
    expect(drifted.filter((h) => recap[h]!.changed === 0)).toEqual([]);

    const table = await merge(fleet);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(new RegExp(`^Fleet: ${COUNT} hosts: ${COUNT - 1} ok, 0 drifted, 1 failed\\.`));
    expect(table.stdout).toMatch(/^h20 +FAILED /m);
    expect(table.stdout).toContain('h20:\n  FAILED no report: the host was unreachable');
  }, 600_000);

  it('installs from the Debian package when reconcile_deb is set (apt resolves nodejs), once', async () => {
    const built = await execa('bash', ['scripts/build-deb.sh'], { cwd: repo, env: { ...ROOT_ENV, RECONCILE_LINTIAN: '0' }, stdin: 'ignore' });
    const deb = path.join(repo, String(built.stdout).trim().split('\n').pop()!);
    const first = await fleet.playbook('site.yml', ['--limit', 'h1', '-e', `reconcile_deb=${deb}`]);
    expect({ code: first.code, recap: parseRecap(first.stdout).h1 }).toEqual({ code: 0, recap: { ok: 1, changed: 1, unreachable: 0, failed: 0 } });
    expect(await fleet.ssh('h1', ['dpkg-query', '-W', '--showformat=${Status}', 'reconcile'])).toBe('install ok installed');
    const again = await fleet.playbook('site.yml', ['--limit', 'h1', '-e', `reconcile_deb=${deb}`, '-vvv']);
    expect({ code: again.code, recap: parseRecap(again.stdout).h1 }).toEqual({ code: 0, recap: { ok: 1, changed: 0, unreachable: 0, failed: 0 } });
    // The package was not sent again: no module, no temp dir, no transfer; the package's reconcile ran directly.
    const execs = again.stdout.split('\n').filter((l) => l.includes('SSH: EXEC'));
    expect(execs.length).toBe(1);
    expect(execs[0]).toContain('/usr/bin/reconcile --apply --detailed-exitcode');
  }, 600_000);
});
