import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { canMakeDevices, charDevice, dir, fifo, file, isRoot, makeRoot, symlink, type TempRoot } from './temp-root.js';

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

describe('makeRoot', () => {
  it('builds files, dirs, symlinks and fifos with the modes asked for', async () => {
    root = await makeRoot({
      '/etc/group': 'video:x:44:\n',
      'etc/gshadow': file(Buffer.from('video:!::\n'), { mode: 0o640 }),
      'var/lib/ds01/bare-metal-grants': dir({ mode: 0o711 }),
      'var/lib/ds01/bare-metal-grants/alice.json': '{}\n',
      'usr/local/bin/nvidia-smi': symlink('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh'),
      'run/pipe': fifo({ mode: 0o600 }),
    });
    const mode = async (p: string) => (await fs.lstat(root!.path(p))).mode & 0o7777;
    expect(await fs.readFile(root.path('/etc/group'), 'utf8')).toBe('video:x:44:\n');
    expect(await mode('/etc/group')).toBe(0o644);
    expect(await mode('/etc/gshadow')).toBe(0o640);
    expect(await mode('/var/lib/ds01/bare-metal-grants')).toBe(0o711);
    expect(await mode('/var/lib/ds01')).toBe(0o755);
    expect(await fs.readFile(root.path('/var/lib/ds01/bare-metal-grants/alice.json'), 'utf8')).toBe('{}\n');
    expect(await fs.readlink(root.path('/usr/local/bin/nvidia-smi'))).toBe('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh');
    expect((await fs.lstat(root.path('/run/pipe'))).isFIFO()).toBe(true);
    expect(await mode('/')).toBe(0o755);
  });

  it('refuses paths that leave the root', async () => {
    await expect(makeRoot({ '../escape': 'x' })).rejects.toThrow(/leaves the temp root/);
  });

  it('adds entries later and cleans up', async () => {
    root = await makeRoot({});
    await root.add({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
    expect(await fs.readFile(root.path('/etc/passwd'), 'utf8')).toMatch(/^root:/);
    await root.cleanup();
    await expect(fs.stat(root.dir)).rejects.toThrow(/ENOENT/);
    root = undefined;
  });

  (isRoot ? it : it.skip)('sets owner and group (as root)', async () => {
    root = await makeRoot({ 'home/alice/.profile': file('x', { uid: 1000, gid: 1001, mode: 0o600 }) });
    const st = await fs.lstat(root.path('/home/alice/.profile'));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1000, 1001, 0o600]);
  });

  it('makes real char devices when it can (root with CAP_MKNOD)', async () => {
    if (!(await canMakeDevices())) {
      await expect(makeRoot({ 'dev/nvidia0': charDevice(195, 0) })).rejects.toThrow(/CAP_MKNOD/);
      return;
    }
    root = await makeRoot({ 'dev/nvidia0': charDevice(195, 0, { mode: 0o660, gid: 44 }) });
    const st = await fs.lstat(root.path('/dev/nvidia0'));
    expect([st.isCharacterDevice(), st.mode & 0o7777, st.gid, st.rdev]).toEqual([true, 0o660, 44, (195 << 8) | 0]);
  });
});
