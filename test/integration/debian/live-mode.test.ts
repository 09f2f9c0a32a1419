// Live mode for real: the built project and this node binary are copied into
// a seeded Debian root, and `reconcile --apply` runs inside it (chroot) against
// "/" with no --root, so the live code path - getent and gpasswd through NSS,
// real ownership and permissions - is what changes the host.

import { convergedHostChecks, DRIVER_RULES } from './converged-host.js';
import { DebianRoot, debianRootGate, describeWithDebianRoot, DOCKER_USERS, warnIfDistStale, type RunResult } from './debian-root.js';

const gate = await debianRootGate();

describeWithDebianRoot(gate, 'reconcile inside a real Debian root (live mode, no --root)', (tarball) => {
  let root: DebianRoot | undefined;
  let app = '';
  let apply: RunResult;
  let firstPlan: RunResult;
  let firstCheck: RunResult;

  const reconcileInside = (args: string[]) =>
    root!.chroot([`${app}/node`, `${app}/dist/src/cli/bin.js`, ...args, '--desired', `${app}/desired-state/ds01.yaml`]);

  beforeAll(async () => {
    await warnIfDistStale();
    root = await DebianRoot.extract(tarball);
    await root.seedIncident();
    app = await root.installProject();
    // Only /proc: a bind-mounted /dev would hide the device nodes made above.
    await root.mountProc();
    firstPlan = await reconcileInside(['--plan', '--format', 'json']);
    firstCheck = await reconcileInside(['--check', '--format', 'json']);
    apply = await reconcileInside(['--apply']);
  });

  afterAll(async () => {
    await root?.cleanup();
  });

  it('plans from the live host: the group is read through getent, not from a --root copy', () => {
    expect(firstPlan.stderr).toBe('');
    expect(firstPlan.code).toBe(2);
    const plan = JSON.parse(firstPlan.stdout) as { root?: string; changes: { kind: string; target: string; members?: { add: string[] } }[] };
    const video = plan.changes.find((c) => c.kind === 'group' && c.target === 'video');
    expect(video?.members?.add.sort()).toEqual(DOCKER_USERS.filter((u) => u !== 'admin1').sort());
  });

  it('--check before apply runs the login-shell probe for real (runuser -l) and reports the incident', () => {
    expect(firstCheck.code).toBe(2);
    const findings = (JSON.parse(firstCheck.stdout) as { findings: { rule: string; status: string; target: string }[] }).findings;
    const failing = new Set(findings.filter((f) => f.status === 'fail').map((f) => f.rule));
    for (const rule of ['verify-cuda-hidden-login-shell', 'video-group-restricted', 'device-node-restricted', 'nvidia-smi-wrapper']) {
      expect({ rule, failing: failing.has(rule) }).toEqual({ rule, failing: true });
    }
  });

  it('--apply exits 0 and reports the host converged', () => {
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('The host is converged.');
  });

  it('ran with /proc mounted, and nothing is left mounted but /proc', () => {
    expect(root!.mounts()).toEqual([root!.path('/proc')]);
  });

  it('--check after apply: every probe ran here (runuser, nvidia-smi) and none fails', async () => {
    const r = await reconcileInside(['--check', '--format', 'json']);
    const findings = (JSON.parse(r.stdout) as { findings: { rule: string; status: string }[] }).findings;
    // Neither failing nor skipped: the login-shell and nvidia-smi probes ran as real users.
    expect(findings.filter((f) => !DRIVER_RULES.has(f.rule))).toEqual([]);
  });

  convergedHostChecks(() => ({ root: root!, reconcile: reconcileInside }));
});
