// service and package against the real tools in the full Debian root:
// `systemctl --root` (the root's own systemctl, offline) and dpkg-query /
// apt-get inside the root (node-xtend from the root's apt cache: no network).

import { promises as fs } from 'node:fs';
import { DebianRoot, describeWithDebianRoot, warnIfDistStale, type RunResult } from './debian-root.js';
import { debianFullRootGate, reconcileRoot, writeDesired } from './full-root.js';

const gate = await debianFullRootGate();

const DESIRED = `version: 1
resources:
  - id: cron-enabled
    kind: service
    unit: cron
    enabled: true
    active: true
  - id: ssh-off
    kind: service
    unit: ssh.service
    enabled: false
  - id: base-packages
    kind: package
    names: [sudo, node-xtend]
`;

interface JsonPlan {
  changes: { target: string; kind: string; action: string; summary: string }[];
  notes: { target?: string; message: string }[];
  errors: { message: string }[];
}

describeWithDebianRoot(gate, 'service and package kinds in the full Debian root', (tarball) => {
  let root: DebianRoot;
  let desired: { file: string; cleanup: () => Promise<void> };
  let plan: RunResult;
  let apply: RunResult;
  let again: RunResult;
  let runsAfterFirst: string[];
  let runsAfterSecond: string[];
  const isEnabled = async (unit: string) => (await root.chroot(['systemctl', '--root=/', 'is-enabled', unit])).stdout.trim();
  const dpkgStatus = async (pkg: string) => (await root.chroot(['dpkg-query', '-W', '-f=${db:Status-Abbrev}', pkg])).stdout.trim();
  const runs = async () => (await fs.readdir(root.path('/var/lib/reconcile/runs')).catch(() => [] as string[])).sort();

  beforeAll(async () => {
    await warnIfDistStale();
    root = await DebianRoot.extract(tarball);
    desired = await writeDesired(DESIRED);
    await root.must(['systemctl', '--root=/', 'disable', 'cron']);
    plan = await reconcileRoot(root, desired.file, ['--plan', '--format', 'json']);
    apply = await reconcileRoot(root, desired.file, ['--apply']);
    runsAfterFirst = await runs();
    again = await reconcileRoot(root, desired.file, ['--apply', '--format', 'json']);
    runsAfterSecond = await runs();
  }, 600_000);

  afterAll(async () => {
    await desired?.cleanup();
    await root?.cleanup();
  });

  it('plans enable cron, disable ssh, install node-xtend; sudo is already there; starting is a note', () => {
    expect(plan.code).toBe(2);
    const p = JSON.parse(plan.stdout) as JsonPlan;
    expect(p.errors).toEqual([]);
    expect(p.changes.map((c) => [c.kind, c.target, c.action])).toEqual([
      ['service', 'cron.service', 'update'],
      ['service', 'ssh.service', 'update'],
      ['package', 'node-xtend', 'create'],
    ]);
    expect(p.changes[0]!.summary).toBe('cron.service: enable (now disabled)');
    expect(p.changes[1]!.summary).toBe('ssh.service: disable (now enabled)');
    expect(p.notes.find((n) => n.target === 'cron.service')?.message).toMatch(/not possible under --root/);
  });

  it('--apply converges: the root\'s own systemctl and dpkg-query agree', async () => {
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(await isEnabled('cron')).toBe('enabled');
    expect(await isEnabled('ssh')).toBe('disabled');
    expect(await dpkgStatus('node-xtend')).toBe('ii');
    expect(runsAfterFirst).toHaveLength(1);
  });

  it('a second apply runs nothing and writes no run', () => {
    expect(again.code).toBe(0);
    expect(runsAfterSecond).toEqual(runsAfterFirst);
  });

  it('--rollback disables the unit the run enabled (and re-enables the one it disabled); the package stays', async () => {
    const r = await reconcileRoot(root, null, ['--rollback']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/node-xtend installed by run .* stays installed/);
    expect(await isEnabled('cron')).toBe('disabled');
    expect(await isEnabled('ssh')).toBe('enabled');
    expect(await dpkgStatus('node-xtend')).toBe('ii');
  });

  it('a unit that does not exist is an error for that resource, the others still plan', async () => {
    const d = await writeDesired(`${DESIRED}  - id: ghost\n    kind: service\n    unit: no-such-unit\n    enabled: true\n`);
    try {
      const r = await reconcileRoot(root, d.file, ['--plan', '--format', 'json']);
      expect(r.code).toBe(1);
      const p = JSON.parse(r.stdout) as JsonPlan;
      expect(p.errors.map((e) => e.message)).toEqual([expect.stringMatching(/unit no-such-unit.service does not exist/)]);
      expect(p.changes.map((c) => c.target)).toEqual(['cron.service', 'ssh.service']);
    } finally {
      await d.cleanup();
    }
  });

  it('one apply enables a unit whose file the same apply installs, listed after it; the next apply has nothing to do', async () => {
    // Issue 12: the service is planned again once the unit file is written.
    const d = await writeDesired(`version: 1
resources:
  - id: exporter
    kind: service
    unit: ds01-exporter.service
    enabled: true
  - id: exporter-unit
    kind: file
    path: /etc/systemd/system/ds01-exporter.service
    content: "[Unit]\\nDescription=x\\n[Service]\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n"
`);
    try {
      const first = await reconcileRoot(root, d.file, ['--apply', '--format', 'json']);
      expect({ code: first.code, errors: (JSON.parse(first.stdout) as JsonPlan).errors }).toEqual({ code: 0, errors: [] });
      expect(await isEnabled('ds01-exporter.service')).toBe('enabled');
      const second = await reconcileRoot(root, d.file, ['--apply', '--format', 'json']);
      expect({ code: second.code, outcomes: (JSON.parse(second.stdout) as { outcomes: unknown[] }).outcomes }).toEqual({ code: 0, outcomes: [] });
    } finally {
      await d.cleanup();
    }
  });
});
