// Never leave the root: symlinks (absolute and relative) in parent
// directories and at the final component, and `..`, against every resource
// kind. Nothing outside the root is read-modified or removed; the resource
// gets a clear error or note. Plus the re-check before acting: a target that
// changes between plan and apply is skipped and reported.

import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { loadDesiredState } from '../../src/model/load.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { canMakeDevices } from '../helpers/temp-root.js';
import { captureOutput, snapshot, type Snapshot } from './snapshot.js';

let base: string;
let root: string;
let outside: string;
let outsideBefore: Snapshot;
let devices = false;

const BASE_TREE: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/bash\n',
  'etc/group': 'root:x:0:\nvideo:x:44:\ndocker:x:999:alice\n',
  'etc/gshadow': 'root:*::\nvideo:!::\ndocker:!::alice\n',
};

beforeEach(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-escape-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  for (const [p, content] of Object.entries(BASE_TREE)) {
    await fs.mkdir(path.dirname(path.join(root, p)), { recursive: true });
    await fs.writeFile(path.join(root, p), content);
  }
  await fs.mkdir(path.join(outside, 'bin'), { recursive: true });
  await fs.mkdir(path.join(outside, 'profile.d'), { recursive: true });
  await fs.writeFile(path.join(outside, 'secret.txt'), 'DS01 NVIDIA Command Wrapper\nDS01 wrapper for NVIDIA ub-device-create\n', { mode: 0o600 });
  await fs.writeFile(path.join(outside, 'bin/nvidia-smi'), '#!/bin/sh\n# DS01 NVIDIA Command Wrapper\n', { mode: 0o755 });
  await fs.writeFile(path.join(outside, 'group'), 'root:x:0:\nvideo:x:44:\ndocker:x:999:alice\n');
  devices = await canMakeDevices();
  if (devices) {
    execFileSync('mknod', [path.join(outside, 'nvidia0'), 'c', '1', '3']);
    await fs.chmod(path.join(outside, 'nvidia0'), 0o600);
  }
  outsideBefore = await snapshot(outside, []);
});

afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

async function link(inside: string, target: string) {
  const real = path.join(root, inside);
  await fs.mkdir(path.dirname(real), { recursive: true });
  await fs.symlink(target, real);
}

async function applyYaml(resources: string) {
  const file = path.join(base, 'desired.yaml');
  await fs.writeFile(file, `version: 1\nresources:\n${resources}`);
  const io = captureOutput();
  const code = await main(['--apply', '--desired', file, '--root', root], io);
  return { code, out: io.stdout + io.stderr };
}

async function expectOutsideUntouched() {
  expect(await snapshot(outside, [])).toEqual(outsideBefore);
}

const REL = '../../outside'; // from root/<dir>/ up to base/, then outside/
const FILE = (p: string) => `  - id: f\n    kind: file\n    path: ${p}\n    content: "owned\\n"\n    mode: "0666"\n`;
const FILE_ABSENT = (p: string) => `  - id: f\n    kind: file\n    path: ${p}\n    state: absent\n`;
const ABSENT = (p: string) => `  - id: a\n    kind: absent\n    paths:\n      - ${p}\n    allowDirectories: true\n`;
const PROFILE = (p: string) =>
  `  - id: p\n    kind: profile-env\n    path: ${p}\n    env:\n      CUDA_VISIBLE_DEVICES: ""\n    exempt:\n      users: [alice]\n    mode: "0644"\n`;
const GROUP = `  - id: g\n    kind: group\n    group: video\n    include: [docker]\n`;
const DEVICES = (p: string) => `  - id: d\n    kind: device-mode\n    paths:\n      - ${p}\n    mode: "0666"\n    owner: root\n    group: root\n`;
const RESTORE = (p: string, o: string) =>
  `  - id: r\n    kind: restore-original\n    path: ${p}\n    original: ${o}\n    wrapperMatches: DS01 wrapper for NVIDIA ub-device-create\n`;

describe('a relative symlink in a parent directory that leaves the root is refused, for every kind', () => {
  const cases: [string, () => Promise<void>, string][] = [
    ['file', () => link('/etc/conf', `${REL}`), FILE('/etc/conf/secret.txt')],
    ['file state: absent', () => link('/etc/conf', `${REL}`), FILE_ABSENT('/etc/conf/secret.txt')],
    ['absent (plain path)', () => link('/etc/conf', `${REL}`), ABSENT('/etc/conf/secret.txt')],
    ['absent (glob under a symlinked /usr/local/bin)', () => link('/usr/local/bin', `../../../outside/bin`), ABSENT('/usr/local/bin/nvidia-*')],
    ['profile-env', () => link('/etc/profile.d', `${REL}/profile.d`), PROFILE('/etc/profile.d/gpu.sh')],
    ['device-mode (a symlinked /dev)', () => link('/dev', '../outside'), DEVICES('/dev/nvidia*')],
    ['restore-original', () => link('/usr/sbin', `${REL}`), RESTORE('/usr/sbin/secret.txt', '/usr/sbin/group')],
  ];
  it.each(cases)('%s', async (_name, setup, yaml) => {
    await setup();
    const r = await applyYaml(yaml);
    expect(r.out).not.toMatch(/internal error/);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/points outside the root: refused, not followed|leads outside the root/);
    await expectOutsideUntouched();
  });
});

describe('an absolute symlink is read as inside the root (chroot-style), never as the running machine', () => {
  it.each([
    ['file', () => link('/etc/conf', outside), FILE('/etc/conf/secret.txt')],
    ['absent', () => link('/usr/local/bin', path.join(outside, 'bin')), ABSENT('/usr/local/bin/nvidia-*')],
    ['device-mode', () => link('/dev', outside), DEVICES('/dev/nvidia*')],
    ['restore-original', () => link('/usr/sbin', outside), RESTORE('/usr/sbin/secret.txt', '/usr/sbin/group')],
  ] as [string, () => Promise<void>, string][])('%s', async (_name, setup, yaml) => {
    await setup();
    const r = await applyYaml(yaml);
    expect(r.out).not.toMatch(/internal error/);
    await expectOutsideUntouched();
    // Whatever happened, happened under the root: the outside path as seen inside it.
    if (yaml.startsWith('  - id: f')) {
      expect(r.code).toBe(0);
      expect(await fs.readFile(path.join(root, outside, 'secret.txt'), 'utf8')).toBe('owned\n');
    }
  });
});

describe('a symlink at the final component', () => {
  it('file: refuses to write through it', async () => {
    await link('/etc/app.conf', `${REL}/secret.txt`);
    const r = await applyYaml(FILE('/etc/app.conf'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('/etc/app.conf is a symlink to ../../outside/secret.txt, not a regular file: refusing to write through it');
    await expectOutsideUntouched();
  });

  it('file state: absent and absent: remove the link only, never its target', async () => {
    await link('/etc/app.conf', `${REL}/secret.txt`);
    await link('/usr/local/bin/nvidia-smi', `../../../../outside/bin/nvidia-smi`);
    const r = await applyYaml(FILE_ABSENT('/etc/app.conf') + ABSENT('/usr/local/bin/nvidia-*').replace('id: a', 'id: a2'));
    expect(r.out).not.toMatch(/internal error/);
    await expect(fs.lstat(path.join(root, 'etc/app.conf'))).rejects.toThrow();
    await expect(fs.lstat(path.join(root, 'usr/local/bin/nvidia-smi'))).rejects.toThrow();
    await expectOutsideUntouched();
  });

  it('device-mode: never follows a symlinked node; notes it', async () => {
    if (!devices) return;
    await link('/dev/nvidia0', `../../outside/nvidia0`);
    await link('/dev/nvidia1', path.join(outside, 'nvidia0'));
    const r = await applyYaml(DEVICES('/dev/nvidia*'));
    expect(r.out).not.toMatch(/internal error/);
    const plan = captureOutput();
    await main(['--plan', '--desired', path.join(base, 'desired.yaml'), '--root', root, '--format', 'json'], plan);
    const notes = (JSON.parse(plan.stdout) as { notes: { target?: string; message: string }[] }).notes;
    expect(notes).toEqual(expect.arrayContaining([expect.objectContaining({ target: '/dev/nvidia0', message: expect.stringMatching(/symlink/) })]));
    await expectOutsideUntouched();
  });

  it('group: an etc/group that is a symlink out of the root is refused', async () => {
    await fs.rm(path.join(root, 'etc/group'));
    await link('/etc/group', `../../outside/group`);
    const r = await applyYaml(GROUP);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/outside the root: refused/);
    await expectOutsideUntouched();
  });

  it('group: an etc/group that is a symlink inside the root is not replaced by a file', async () => {
    await fs.rename(path.join(root, 'etc/group'), path.join(root, 'etc/group.real'));
    await link('/etc/group', 'group.real');
    const r = await applyYaml(GROUP);
    expect(r.code).toBe(1);
    expect(r.out).toContain('is a symlink, not a regular file: refusing to rewrite it');
    expect((await fs.lstat(path.join(root, 'etc/group'))).isSymbolicLink()).toBe(true);
  });

  it('restore-original: a saved original that is a symlink out of the root is not moved in', async () => {
    await fs.mkdir(path.join(root, 'usr/sbin'), { recursive: true });
    await fs.writeFile(path.join(root, 'usr/sbin/ub-device-create'), '# DS01 wrapper for NVIDIA ub-device-create\n');
    await link('/usr/sbin/ub-device-create.original', `../../../outside/secret.txt`);
    const r = await applyYaml(RESTORE('/usr/sbin/ub-device-create', '/usr/sbin/ub-device-create.original'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('the saved original /usr/sbin/ub-device-create.original is missing');
    await expectOutsideUntouched();
  });
});

describe('".." in a desired path', () => {
  it('stays inside the root: /../../x is /x', async () => {
    const r = await applyYaml(FILE('/etc/../../../../outside/secret.txt'));
    expect(r.out).not.toMatch(/internal error/);
    await expectOutsideUntouched();
    if (r.code === 0) expect(await fs.readFile(path.join(root, 'outside/secret.txt'), 'utf8')).toBe('owned\n');
    else expect(r.out).toMatch(/\.\./);
  });
});

describe('the re-check before acting', () => {
  async function planThen(yaml: string, meddle: () => Promise<void>) {
    const file = path.join(base, 'desired.yaml');
    await fs.writeFile(file, `version: 1\nresources:\n${yaml}`);
    const host = new RootedHost(root);
    const plan = await buildPlan(host, (await loadDesiredState(file)).resources);
    expect(plan.changes.length).toBeGreaterThan(0);
    await meddle();
    return applyPlan(host, plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 0, desiredFiles: [file] });
  }

  it('skips and reports a file changed between plan and apply', async () => {
    await fs.writeFile(path.join(root, 'etc/app.conf'), 'before\n');
    const result = await planThen(FILE('/etc/app.conf'), () => fs.writeFile(path.join(root, 'etc/app.conf'), 'someone else\n'));
    expect(result.outcomes[0]).toMatchObject({ status: 'skipped', message: expect.stringContaining('/etc/app.conf changed since it was planned') });
    expect(await fs.readFile(path.join(root, 'etc/app.conf'), 'utf8')).toBe('someone else\n');
  });

  it('skips a file swapped for a symlink out of the root between plan and apply', async () => {
    await fs.writeFile(path.join(root, 'etc/app.conf'), 'before\n');
    const result = await planThen(FILE_ABSENT('/etc/app.conf'), async () => {
      await fs.rm(path.join(root, 'etc/app.conf'));
      await link('/etc/app.conf', `${REL}/secret.txt`);
    });
    expect(result.outcomes[0]?.status).toBe('skipped');
    expect((await fs.lstat(path.join(root, 'etc/app.conf'))).isSymbolicLink()).toBe(true);
    await expectOutsideUntouched();
  });

  it('skips a group whose members changed between plan and apply', async () => {
    const result = await planThen(GROUP, () =>
      fs.writeFile(path.join(root, 'etc/group'), 'root:x:0:\nvideo:x:44:carol\ndocker:x:999:alice\n'),
    );
    expect(result.outcomes[0]).toMatchObject({ status: 'skipped', message: expect.stringContaining('video changed since it was planned') });
    expect(await fs.readFile(path.join(root, 'etc/group'), 'utf8')).toContain('video:x:44:carol\n');
  });

  it('skips a device node whose mode changed between plan and apply', async () => {
    if (!devices) return;
    execFileSync('mknod', [path.join(root, 'dev-nvidia0'), 'c', '1', '3']);
    await fs.mkdir(path.join(root, 'dev'));
    await fs.rename(path.join(root, 'dev-nvidia0'), path.join(root, 'dev/nvidia0'));
    await fs.chmod(path.join(root, 'dev/nvidia0'), 0o660);
    const result = await planThen(DEVICES('/dev/nvidia*'), () => fs.chmod(path.join(root, 'dev/nvidia0'), 0o600));
    expect(result.outcomes[0]?.status).toBe('skipped');
    expect((await fs.stat(path.join(root, 'dev/nvidia0'))).mode & 0o777).toBe(0o600);
  });
});
