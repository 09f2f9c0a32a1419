// `reconcile --root ROOT` run from outside against a real minbase Debian root
// seeded as the second incident left DS01; the result is checked with the
// root's own tools (getent, grpck, su, dash, bash).

import { convergedHostChecks } from './converged-host.js';
import {
  DebianRoot,
  describeWithDebianRoot,
  debianRootGate,
  DOCKER_USERS,
  NVIDIA_NODES,
  reconcileOutside,
  warnIfDistStale,
  WRAPPER,
  WRAPPER_LINK,
  type RunResult,
} from './debian-root.js';

const gate = await debianRootGate();

describeWithDebianRoot(gate, 'reconcile --root on a real Debian root', (tarball) => {
  let root: DebianRoot | undefined;
  let before: { plan: RunResult; alice: string | null; video: string[]; node: string; wrapper: RunResult; aliceSmi: RunResult };
  let apply: RunResult;

  beforeAll(async () => {
    await warnIfDistStale();
    root = await DebianRoot.extract(tarball);
    await root.seedIncident();
    before = {
      plan: await reconcileOutside(root, ['--plan', '--format', 'json']),
      alice: (await root.loginEnv('alice', '/bin/bash')).value,
      video: await root.groupMembers('video'),
      node: (await root.must(['stat', '-c', '%a %U:%G', NVIDIA_NODES[0]![0]])).stdout.trim(),
      wrapper: await root.chroot(['readlink', WRAPPER_LINK]),
      aliceSmi: await root.chroot(['su', '--login', 'alice', '--command', 'nvidia-smi -L']),
    };
    apply = await reconcileOutside(root, ['--apply']);
  });

  afterAll(async () => {
    await root?.cleanup();
  });

  it('starts from the incident: video is admin1 only, nodes 0660 root:video, wrapper linked, GPUs visible', () => {
    expect(before.video).toEqual(['admin1']);
    expect(before.alice).toBeNull();
    expect(before.node).toBe('660 root:video');
    expect(before.wrapper.stdout.trim()).toBe(WRAPPER);
    // The second incident's symptom: the wrapper refuses a docker user outside video.
    expect(before.aliceSmi.code).toBe(1);
    expect(before.aliceSmi.stderr).toContain('Bare Metal GPU Access Restricted');
    // The plan names every fix: exit 2 = changes pending.
    expect(before.plan.code).toBe(2);
    const changes = (JSON.parse(before.plan.stdout) as { changes: { target: string; kind: string }[] }).changes;
    const targets = changes.map((c) => c.target);
    expect(targets).toEqual(expect.arrayContaining(['/etc/profile.d/ds01-gpu-awareness.sh', WRAPPER_LINK, ...NVIDIA_NODES.map(([n]) => n)]));
    expect(changes.some((c) => c.kind === 'group')).toBe(true);
  });

  it('--apply exits 0 and reports the host converged', () => {
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('The host is converged.');
    for (const user of DOCKER_USERS.filter((u) => u !== 'admin1')) expect(apply.stdout).toContain(user);
  });

  convergedHostChecks(() => ({ root: root!, reconcile: (args) => reconcileOutside(root!, args) }));
});
