// The CI flow of packaging/ci in a real Debian root, live mode: the plan is
// made by an unprivileged user (nobody, through su, as the runner would),
// handed to root with install -o root -m 0600, and applied as root with
// --apply --plan-file. Probing needs no root: /etc/gshadow is never read.

import { DebianRoot, debianRootGate, describeWithDebianRoot, DOCKER_USERS, warnIfDistStale, type RunResult } from './debian-root.js';

const gate = await debianRootGate();

describeWithDebianRoot(gate, 'plan as nobody, apply the handed-over plan as root (Debian root, live mode)', (tarball) => {
  let root: DebianRoot | undefined;
  let app = '';
  let plan: RunResult;
  let untrusted: RunResult;
  let apply: RunResult;
  const handed = '/etc/reconcile/deploy/plan.json';

  const cli = () => [`${app}/node`, `${app}/dist/src/cli/bin.js`];

  beforeAll(async () => {
    await warnIfDistStale();
    root = await DebianRoot.extract(tarball);
    await root.seedIncident();
    app = await root.installProject();
    await root.mountProc();
    await root.must(['install', '-d', '-o', 'nobody', '-m', '0700', '/var/lib/reconcile-ci']);
    const planCmd = [...cli(), '--plan', '--desired', `${app}/desired-state/ds01.yaml`, '--format', 'markdown', '--out', '/var/lib/reconcile-ci/plan.json'];
    plan = await root.chroot(['su', '-s', '/bin/sh', 'nobody', '-c', planCmd.join(' ')]);
    // As the workflow does: root takes a root-owned 0600 copy, then applies it.
    untrusted = await root.chroot([...cli(), '--apply', '--plan-file', '/var/lib/reconcile-ci/plan.json']);
    await root.must(['install', '-d', '-o', 'root', '-g', 'root', '-m', '0700', '/etc/reconcile/deploy']);
    await root.must(['install', '-o', 'root', '-g', 'root', '-m', '0600', '/var/lib/reconcile-ci/plan.json', handed]);
    apply = await root.chroot([...cli(), '--apply', '--plan-file', handed]);
  });

  afterAll(async () => {
    await root?.cleanup();
  });

  it('nobody can make the plan: exit 2, markdown on stdout, the plan file nobody-owned 0600', async () => {
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('video');
    const st = await root!.must(['stat', '-c', '%U %a', '/var/lib/reconcile-ci/plan.json']);
    expect(st.stdout.trim()).toBe('nobody 600');
    // /etc/gshadow is 0640 root:shadow here: nobody could not have read it.
    const gshadow = await root!.must(['stat', '-c', '%U %G %a', '/etc/gshadow']);
    expect(gshadow.stdout.trim()).toBe('root shadow 640');
  });

  it('root refuses the plan file while nobody owns it', () => {
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('refusing to use a plan file that others can change');
  });

  it('the handed-over plan applies as root, converges, and video holds every docker member', async () => {
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('The host is converged.');
    expect((await root!.groupMembers('video')).sort()).toEqual([...DOCKER_USERS].sort());
    const again = await root!.chroot([...cli(), '--plan', '--desired', `${app}/desired-state/ds01.yaml`]);
    expect(again.code).toBe(0);
  });
});
