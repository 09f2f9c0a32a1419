// An error belongs to its target: in a resource with several paths, one path
// that cannot be planned (a parent that is a symlink out of the root,
// correctly refused) leaves the other paths of that resource planned and
// applied. The run still exits 1, and the JSON error names the target.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { canMakeDevices } from '../helpers/temp-root.js';
import { captureOutput, snapshot } from './snapshot.js';

let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-one-bad-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await fs.mkdir(path.join(outside, 'modprobe.d'), { recursive: true });
  await fs.writeFile(path.join(outside, 'modprobe.d/nvidia-permissions.conf'), 'options nvidia NVreg_DeviceFileMode=0660\n');
  for (const [p, content] of Object.entries({
    'etc/udev/rules.d/99-ds01-nvidia.rules': 'KERNEL=="nvidia*", MODE="0660", GROUP="video"\n',
    'var/lib/ds01/gpu-inventory.cache': 'GPU 0: ...\n',
  })) {
    await fs.mkdir(path.dirname(path.join(root, p)), { recursive: true });
    await fs.writeFile(path.join(root, p), content);
  }
  // /etc/modprobe.d leads out of the root: refused, never followed.
  await fs.symlink('../../outside/modprobe.d', path.join(root, 'etc/modprobe.d'));
});

afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

const LEGACY = `version: 1
resources:
  - id: legacy-device-permission-files
    kind: absent
    paths:
      - /etc/modprobe.d/nvidia-permissions.conf
      - /etc/udev/rules.d/99-ds01-nvidia.rules
      - /var/lib/ds01/gpu-inventory.cache
`;

async function run(mode: '--plan' | '--apply', yaml: string) {
  const file = path.join(base, 'desired.yaml');
  await fs.writeFile(file, yaml);
  const io = captureOutput();
  const code = await main([mode, '--desired', file, '--root', root, '--format', 'json'], io);
  return { code, json: JSON.parse(io.stdout) as { changes: Array<{ target: string }>; errors: Array<{ target?: string; message: string }> } };
}

describe('absent: one refused path fails alone', () => {
  it('plans the other legacy files, and names the refused one in the error', async () => {
    const { code, json } = await run('--plan', LEGACY);
    expect(code).toBe(1);
    expect(json.changes.map((c) => c.target)).toEqual(['/etc/udev/rules.d/99-ds01-nvidia.rules', '/var/lib/ds01/gpu-inventory.cache']);
    expect(json.errors).toHaveLength(1);
    expect(json.errors[0]!.target).toBe('/etc/modprobe.d/nvidia-permissions.conf');
    expect(json.errors[0]!.message).toMatch(/outside the root/);
  });

  it('applies the others, exits 1, and leaves the outside file alone', async () => {
    const outsideBefore = await snapshot(outside, []);
    const { code } = await run('--apply', LEGACY);
    expect(code).toBe(1);
    await expect(fs.lstat(path.join(root, 'etc/udev/rules.d/99-ds01-nvidia.rules'))).rejects.toThrow(/ENOENT/);
    await expect(fs.lstat(path.join(root, 'var/lib/ds01/gpu-inventory.cache'))).rejects.toThrow(/ENOENT/);
    expect(await snapshot(outside, [])).toEqual(outsideBefore);
  });
});

describe('device-mode: one refused glob fails alone', () => {
  it('still sets the nodes of the other globs', async () => {
    if (!(await canMakeDevices())) return; // needs CAP_MKNOD (root); CI runs as root
    const { execFileSync } = await import('node:child_process');
    await fs.mkdir(path.join(root, 'dev'), { recursive: true });
    await fs.mkdir(path.join(outside, 'caps'), { recursive: true });
    execFileSync('mknod', [path.join(root, 'dev/nvidiactl'), 'c', '1', '3']);
    await fs.chmod(path.join(root, 'dev/nvidiactl'), 0o600);
    await fs.symlink('../../outside/caps', path.join(root, 'dev/nvidia-caps'));
    await fs.writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    await fs.writeFile(path.join(root, 'etc/group'), 'root:x:0:\n');
    const yaml = `version: 1
resources:
  - id: nodes
    kind: device-mode
    paths: [/dev/nvidia-caps/*, /dev/nvidiactl]
    mode: "0666"
    owner: root
    group: root
`;
    const { code, json } = await run('--apply', yaml);
    expect(code).toBe(1);
    expect(json.errors.map((e) => e.target)).toEqual(['/dev/nvidia-caps/*']);
    expect((await fs.lstat(path.join(root, 'dev/nvidiactl'))).mode & 0o7777).toBe(0o666);
  });
});
