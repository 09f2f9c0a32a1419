// What a converged DS01 host looks like to the root's own tools, after
// `reconcile --apply` on a seeded DebianRoot. Shared by the --root and the
// live-mode suites: the same checks must hold whichever code path applied.

import { promises as fs } from 'node:fs';
import { DOCKER_USERS, DOMAIN_USER, NVIDIA_NODES, WRAPPER, WRAPPER_LINK, type DebianRoot, type RunResult } from './debian-root.js';

export interface Subject {
  root: DebianRoot;
  /** reconcile with these arguments (plus --desired, and --root in --root mode). */
  reconcile(args: string[]): Promise<RunResult>;
}

interface CheckJson {
  changes: unknown[];
  errors?: unknown[];
  findings: { rule: string; severity: string; target: string; status: string; message: string }[];
}

/**
 * Rules whose fix needs a GPU driver (a module reload, or the driver's own
 * nvidia-smi), not a file change; a root without a driver may report them.
 */
export const DRIVER_RULES = new Set(['module-params-pending-reload', 'verify-nvidia-smi-docker-user']);

const HIDDEN = ['alice', 'admin1', DOMAIN_USER];
const EXEMPT: [string, string][] = [
  ['datasciencelab', 'exempt by name'],
  ['bob', 'grant file'],
];

export function convergedHostChecks(subject: () => Subject): void {
  it('video contains every docker member, as the root getent sees it', async () => {
    const { root } = subject();
    const video = await root.groupMembers('video');
    for (const user of DOCKER_USERS) expect(video).toContain(user);
    // Additive: nobody was dropped.
    expect(video).toContain('admin1');
  });

  it('grpck -r is clean and gshadow lists the same video members as group', async () => {
    const { root } = subject();
    const grpck = await root.chroot(['grpck', '-r']);
    expect({ code: grpck.code, out: grpck.stdout + grpck.stderr }).toEqual({ code: 0, out: '' });
    const gshadow = await root.must(['getent', 'gshadow', 'video']);
    const shadowMembers = (gshadow.stdout.trim().split(':')[3] ?? '').split(',').sort();
    expect(shadowMembers).toEqual((await root.groupMembers('video')).sort());
  });

  it('/dev/nvidia* are 0666 root:root character devices, numbers unchanged', async () => {
    const { root } = subject();
    for (const [node, major, minor] of NVIDIA_NODES) {
      const r = await root.must(['stat', '-c', '%F %a %U:%G %t:%T', node]);
      expect(`${node} ${r.stdout.trim()}`).toBe(`${node} character special file 666 root:root ${major.toString(16)}:${minor.toString(16)}`);
    }
  });

  it('the nvidia-smi wrapper link is gone; the wrapper script it pointed at is left alone', async () => {
    const { root } = subject();
    expect((await root.chroot(['test', '-L', WRAPPER_LINK])).code).toBe(1);
    expect((await root.chroot(['test', '-e', WRAPPER_LINK])).code).toBe(1);
    expect((await root.chroot(['test', '-f', WRAPPER])).code).toBe(0);
  });

  it.each(DOCKER_USERS)('nvidia-smi -L works for docker user %s in a login shell', async (user) => {
    const r = await subject().root.chroot(['su', '--login', user, '--command', 'nvidia-smi -L']);
    expect({ user, code: r.code, out: r.stdout + r.stderr }).toEqual({ user, code: 0, out: expect.stringMatching(/^GPU 0: /) });
  });

  it('/etc/profile.d/ds01-gpu-awareness.sh is 0644 root:root and dash accepts it', async () => {
    const { root } = subject();
    const st = await root.must(['stat', '-c', '%a %U:%G', '/etc/profile.d/ds01-gpu-awareness.sh']);
    expect(st.stdout.trim()).toBe('644 root:root');
    expect((await root.chroot(['dash', '-n', '/etc/profile.d/ds01-gpu-awareness.sh'])).code).toBe(0);
  });

  describe.each([
    ['bash', '/bin/bash'],
    ['dash', '/bin/sh'],
  ] as const)('%s login shells (su -l -s %s)', (name, shell) => {
    it.each(HIDDEN)('%s gets CUDA_VISIBLE_DEVICES set and empty', async (user) => {
      const env = await subject().root.loginEnv(user, shell);
      expect(env.shell).toMatch(name === 'bash' ? /^shell=-bash bash=\d/ : /^shell=-sh bash=none$/);
      expect({ user, value: env.value }).toEqual({ user, value: '' });
    });

    it.each(EXEMPT)('%s (%s) has CUDA_VISIBLE_DEVICES unset', async (user) => {
      const env = await subject().root.loginEnv(user, shell);
      expect({ user, value: env.value }).toEqual({ user, value: null });
    });
  });

  it('a second --apply changes nothing', async () => {
    const { root, reconcile } = subject();
    const groupBefore = await fs.readFile(root.path('/etc/group'), 'utf8');
    const r = await reconcile(['--apply']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No changes: the host already matches the desired state.');
    expect(r.stdout).toContain('The host is converged.');
    expect(await fs.readFile(root.path('/etc/group'), 'utf8')).toBe(groupBefore);
  });

  it('--plan after apply is empty and exits 0', async () => {
    const r = await subject().reconcile(['--plan', '--format', 'json']);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as CheckJson;
    expect(json.changes).toEqual([]);
    expect(json.errors ?? []).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('--check reports no findings except those that need a GPU driver', async () => {
    const r = await subject().reconcile(['--check', '--format', 'json']);
    const json = JSON.parse(r.stdout) as CheckJson;
    expect(json.changes).toEqual([]);
    const failing = json.findings.filter((f) => f.status === 'fail');
    expect(failing.filter((f) => !DRIVER_RULES.has(f.rule))).toEqual([]);
    expect(r.code).toBe(failing.length === 0 ? 0 : 2);
  });
}
