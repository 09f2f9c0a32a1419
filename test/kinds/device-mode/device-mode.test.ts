import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { RootedHost } from '../../../src/host/rooted-host.js';
import type { DeviceModeResource } from '../../../src/kinds/device-mode/types.js';
import { deviceModeHandler } from '../../../src/kinds/device-mode/device-mode.js';
import { fingerprintOf } from '../../../src/kinds/shared/fingerprint.js';
import { applyOperation } from '../../helpers/apply-op.js';
import { testSource } from '../../helpers/resources.js';
import { canMakeDevices, charDevice, dir, makeRoot, symlink, type TempRoot, type Tree } from '../../helpers/temp-root.js';

const DS01_PATTERNS = [
  '/dev/nvidia[0-9]*',
  '/dev/nvidiactl',
  '/dev/nvidia-modeset',
  '/dev/nvidia-uvm',
  '/dev/nvidia-uvm-tools',
  '/dev/nvidia-nvswitchctl',
];

function resource(overrides: Partial<DeviceModeResource> = {}): DeviceModeResource {
  return {
    kind: 'device-mode',
    id: 'nvidia-devices',
    source: testSource,
    paths: DS01_PATTERNS,
    mode: 0o666,
    owner: 'root',
    group: 'root',
    ...overrides,
  };
}

const ACCOUNTS: Tree = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
  'etc/group': 'root:x:0:\nvideo:x:44:\n',
};

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function plan(tree: Tree, res = resource()) {
  root = await makeRoot({ ...ACCOUNTS, ...tree });
  const host = new RootedHost(root.dir);
  return { host, result: deviceModeHandler.diff(res, await deviceModeHandler.probe(host, res)) };
}

const devices = await canMakeDevices();
const withDevices = devices ? describe : describe.skip;
if (!devices) {
  // Visible in the test output, so a skip is never silent.
  console.warn('device-mode tests with real char devices skipped: needs root with CAP_MKNOD (mknod)');
}

withDevices('device-mode handler with real char devices', () => {
  it('plans nothing when every node already matches', async () => {
    const { result } = await plan({
      'dev/nvidia0': charDevice(195, 0, { mode: 0o666 }),
      'dev/nvidiactl': charDevice(195, 255, { mode: 0o666 }),
    });
    expect(result.changes).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.notes).toEqual([]);
    expect(result.unchanged.map((u) => u.target)).toEqual(['/dev/nvidia0', '/dev/nvidiactl']);
  });

  it('plans one change per drifted node (the 0660 root:video incident)', async () => {
    const { host, result } = await plan({
      'dev/nvidia0': charDevice(195, 0, { mode: 0o660, gid: 44 }),
      'dev/nvidia1': charDevice(195, 1, { mode: 0o666 }),
      'dev/nvidia-uvm': charDevice(508, 0, { mode: 0o600 }),
    });
    expect(result.errors).toEqual([]);
    expect(result.unchanged.map((u) => u.target)).toEqual(['/dev/nvidia1']);
    const nvidia0 = await host.lstat('/dev/nvidia0');
    expect(result.changes).toEqual([
      {
        resource: 'nvidia-devices',
        kind: 'device-mode',
        target: '/dev/nvidia-uvm',
        action: 'update',
        summary: '/dev/nvidia-uvm: mode 0600 -> 0666',
        attributes: { mode: { before: '0600', after: '0666' } },
        expect: fingerprintOf(await host.lstat('/dev/nvidia-uvm')),
        op: { type: 'set-attributes', mode: 0o666, uid: 0, gid: 0 },
      },
      {
        resource: 'nvidia-devices',
        kind: 'device-mode',
        target: '/dev/nvidia0',
        action: 'update',
        summary: '/dev/nvidia0: mode 0660 -> 0666, group video -> root',
        attributes: { mode: { before: '0660', after: '0666' }, group: { before: 'video', after: 'root' } },
        expect: fingerprintOf(nvidia0),
        op: { type: 'set-attributes', mode: 0o666, uid: 0, gid: 0 },
      },
    ]);
    expect(result.changes[1]!.expect).toMatchObject({ type: 'path', fileType: 'char', mode: 0o660, gid: 44 });
  });

  it('applies, and then plans nothing', async () => {
    const first = await plan({
      'dev/nvidia0': charDevice(195, 0, { mode: 0o660, gid: 44 }),
      'dev/nvidiactl': charDevice(195, 255, { mode: 0o660, uid: 1000, gid: 44 }),
    });
    expect(first.result.changes).toHaveLength(2);
    for (const change of first.result.changes) await applyOperation(first.host, change);
    const st = await fs.lstat(root!.path('/dev/nvidiactl'));
    expect([st.isCharacterDevice(), st.mode & 0o7777, st.uid, st.gid]).toEqual([true, 0o666, 0, 0]);
    const again = deviceModeHandler.diff(resource(), await deviceModeHandler.probe(first.host, resource()));
    expect(again.changes).toEqual([]);
    expect(again.unchanged).toHaveLength(2);
  });

  it('never follows a symlink, and leaves non-devices alone with a warning', async () => {
    const { result } = await plan({
      'dev/nvidia0': charDevice(195, 0, { mode: 0o666 }),
      'dev/nvidia1': symlink('/etc/passwd'),
      'dev/nvidia2': 'not a device\n',
      'dev/nvidia3': dir(),
      'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
    });
    expect(result.changes).toEqual([]);
    expect(result.notes).toEqual([
      { resource: 'nvidia-devices', level: 'info', target: '/dev/nvidia1', message: 'skipped /dev/nvidia1: symlink (device-mode never follows symlinks)' },
      {
        resource: 'nvidia-devices',
        level: 'warning',
        target: '/dev/nvidia2',
        message: expect.stringMatching(/^skipped \/dev\/nvidia2: a regular file, not a device node/),
      },
      {
        resource: 'nvidia-devices',
        level: 'warning',
        target: '/dev/nvidia3',
        message: expect.stringMatching(/^skipped \/dev\/nvidia3: a directory, not a device node/),
      },
    ]);
    expect((await fs.lstat(root!.path('/etc/passwd'))).mode & 0o7777).toBe(0o644);
  });
});

describe('device-mode handler without devices', () => {
  it('says a host without GPUs is normal and plans nothing', async () => {
    const { result } = await plan({ dev: dir() });
    expect(result).toEqual({
      changes: [],
      unchanged: [],
      errors: [],
      notes: [
        {
          resource: 'nvidia-devices',
          level: 'info',
          message: `no device nodes match ${DS01_PATTERNS.join(', ')}; a host without GPUs is normal`,
        },
      ],
    });
  });

  it('reports unknown owner and group names from the root, not the running machine', async () => {
    // "daemon" exists on the running machine but not in this root.
    const { result } = await plan({}, resource({ owner: 'daemon', group: 'gpu' }));
    expect(result.changes).toEqual([]);
    expect(result.errors).toEqual([
      {
        resource: 'nvidia-devices',
        kind: 'device-mode',
        message:
          `user daemon does not exist in the root's /etc/passwd; group gpu does not exist in the root's /etc/group: ` +
          'fix the owner/group of this resource or create the account',
      },
    ]);
  });
});
