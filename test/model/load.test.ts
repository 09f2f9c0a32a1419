import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDesiredState } from '../../src/model/load.js';
import { MAX_FILE_BYTES } from '../../src/model/parse-yaml.js';
import type { Resource } from '../../src/model/types.js';
import { expectUserError } from './fixtures/expect-user-error.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-model-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const p = path.join(dir, name);
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, text);
  return p;
}

const byId = (rs: Resource[], id: string) => {
  const r = rs.find((x) => x.id === id);
  if (!r) throw new Error(`no resource ${id}`);
  return r;
};

describe('the bundled DS01 desired state', () => {
  test('loads with every resource the incidents call for', async () => {
    const state = await loadDesiredState('desired-state/ds01.yaml');
    expect(state.files).toEqual(['desired-state/ds01.yaml']);
    expect(state.resources.map((r) => r.id)).toEqual([
      'gpu-awareness-profile',
      'video-includes-docker',
      'legacy-device-permission-files',
      'nvidia-smi-wrappers',
      'ub-device-create-original',
      'nvidia-device-modes',
    ]);
    const rs = state.resources;
    expect(byId(rs, 'gpu-awareness-profile')).toMatchObject({
      kind: 'profile-env',
      path: '/etc/profile.d/ds01-gpu-awareness.sh',
      env: { CUDA_VISIBLE_DEVICES: '' },
      exempt: { users: ['datasciencelab'], groups: [], grantDir: '/var/lib/ds01/bare-metal-grants' },
      mode: 0o644,
    });
    expect(byId(rs, 'video-includes-docker')).toMatchObject({
      kind: 'group',
      group: 'video',
      members: [],
      include: ['docker'],
      exclusive: false,
    });
    expect(byId(rs, 'legacy-device-permission-files')).toMatchObject({
      kind: 'absent',
      paths: [
        '/etc/modprobe.d/nvidia-permissions.conf',
        '/etc/udev/rules.d/99-ds01-nvidia.rules',
        '/var/lib/ds01/gpu-inventory.cache',
      ],
      allowDirectories: false,
    });
    expect(byId(rs, 'legacy-device-permission-files')).not.toHaveProperty('onlyIf');

    const wrappers = byId(rs, 'nvidia-smi-wrappers');
    expect(wrappers).toMatchObject({ kind: 'absent', paths: ['/usr/local/bin/nvidia-*'], allowDirectories: false });
    if (wrappers.kind !== 'absent' || !wrappers.onlyIf) throw new Error('nvidia-smi-wrappers needs a guard');
    const link = new RegExp(wrappers.onlyIf.linkTargetMatches!);
    const content = new RegExp(wrappers.onlyIf.contentMatches!);
    expect(link.test('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh')).toBe(true);
    expect(link.test('/usr/bin/nvidia-smi')).toBe(false);
    expect(content.test('# DS01 NVIDIA Command Wrapper - Bare Metal GPU Access Control')).toBe(true);
    expect(content.test('echo "Bare Metal GPU Access Restricted"')).toBe(true);
    expect(content.test('\x7fELF\x02\x01\x01 nvidia-smi real binary')).toBe(false);

    const restore = byId(rs, 'ub-device-create-original');
    expect(restore).toMatchObject({
      kind: 'restore-original',
      path: '/usr/sbin/ub-device-create',
      original: '/usr/sbin/ub-device-create.original',
    });
    if (restore.kind !== 'restore-original') throw new Error('kind');
    // Recognised by behaviour (a script that runs the original), not by one comment line.
    expect(restore.wrapperMatches).toBeUndefined();

    expect(byId(rs, 'nvidia-device-modes')).toMatchObject({
      kind: 'device-mode',
      paths: [
        '/dev/nvidia[0-9]*',
        '/dev/nvidiactl',
        '/dev/nvidia-modeset',
        '/dev/nvidia-uvm',
        '/dev/nvidia-uvm-tools',
        '/dev/nvidia-nvswitchctl',
      ],
      mode: 0o666,
      owner: 'root',
      group: 'root',
    });
  });

  test('each resource knows the line and column of its mapping', async () => {
    const text = await fs.readFile('desired-state/ds01.yaml', 'utf8');
    const lines = text.split('\n');
    const state = await loadDesiredState('desired-state/ds01.yaml');
    for (const r of state.resources) {
      expect(r.source.file).toBe('desired-state/ds01.yaml');
      expect(lines[r.source.line - 1].slice(r.source.column - 1)).toBe(`id: ${r.id}`);
    }
  });
});

describe('a directory of desired-state files', () => {
  test('merges *.yaml and *.yml in name order, ignoring other files', async () => {
    await write('20-groups.yml', 'version: 1\nresources:\n  - id: video\n    kind: group\n    group: video\n    include: [docker]\n');
    await write('10-files.yaml', 'version: 1\nresources:\n  - id: motd\n    kind: file\n    path: /etc/motd\n    content: hi\n');
    await write('30-empty.yaml', 'version: 1\nresources: []\n');
    await write('README.md', 'not yaml: [');
    await write('.hidden.yaml', 'not: valid: yaml: [');
    const state = await loadDesiredState(dir);
    expect(state.files).toEqual([
      path.join(dir, '10-files.yaml'),
      path.join(dir, '20-groups.yml'),
      path.join(dir, '30-empty.yaml'),
    ]);
    expect(state.resources.map((r) => r.id)).toEqual(['motd', 'video']);
    expect(state.resources[1].source).toEqual({ file: path.join(dir, '20-groups.yml'), line: 3, column: 5 });
  });

  test('an id declared in two files names both places', async () => {
    const a = await write('a.yaml', 'version: 1\nresources:\n  - id: motd\n    kind: file\n    path: /etc/motd\n    content: hi\n');
    const b = await write(
      'b.yaml',
      'version: 1\nresources:\n  - id: other\n    kind: file\n    path: /etc/other\n    content: x\n  - id: motd\n    kind: file\n    path: /etc/issue\n    content: x\n',
    );
    await expectUserError(
      loadDesiredState(dir),
      `${b}:7:9: resources[1].id: duplicate id \`motd\``,
      new RegExp(`already declared at ${a.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:5`),
      /rename one/,
    );
  });

  test('a path managed by resources in two files names both places', async () => {
    const a = await write('a.yaml', 'version: 1\nresources:\n  - id: motd\n    kind: file\n    path: /etc/motd\n    content: hi\n');
    const b = await write('b.yaml', 'version: 1\nresources:\n  - id: motd-too\n    kind: file\n    path: /etc/motd\n    content: bye\n');
    await expectUserError(
      loadDesiredState(dir),
      `${b}:5:11: resources[0].path: /etc/motd is already managed by resource motd (${a}:3:5)`,
      /keep one resource/,
    );
  });

  test('an id declared twice in one file', async () => {
    const a = await write('a.yaml', 'version: 1\nresources:\n  - id: x\n    kind: absent\n    paths: [/a]\n  - id: x\n    kind: absent\n    paths: [/b]\n');
    await expectUserError(loadDesiredState(a), `${a}:6:9: resources[1].id: duplicate id \`x\`, already declared at ${a}:3:5.`);
  });

  test('a directory named like a YAML file is refused', async () => {
    await write('a.yaml', 'version: 1\nresources: []\n');
    await fs.mkdir(path.join(dir, 'b.yaml'));
    await expectUserError(loadDesiredState(dir), `${path.join(dir, 'b.yaml')}: not a regular file.`);
  });

  test('an empty directory is an error, not an empty desired state', async () => {
    await write('notes.txt', 'nothing here');
    await expectUserError(loadDesiredState(dir), `${dir}: the directory holds no *.yaml or *.yml files`, /--desired/);
  });

  test('a bad file in a directory is reported with its own name', async () => {
    await write('a.yaml', 'version: 1\nresources: []\n');
    const bad = await write('b.yaml', 'version: 1\nresources:\n  - id: x\n    kind: device-mode\n    paths: [/dev/x]\n    mode: 0666\n    owner: root\n    group: root\n');
    await expectUserError(loadDesiredState(dir), `${bad}:6:11: resources[0].mode:`);
  });
});

describe('files that cannot be used', () => {
  test('a missing path names the path and suggests --desired', async () => {
    const missing = path.join(dir, 'nope.yaml');
    await expectUserError(loadDesiredState(missing), `${missing}: no desired state here`, /pass --desired/);
  });

  test('a path through a regular file is a UserError, not a crash', async () => {
    const f = await write('f.yaml', 'version: 1\nresources: []\n');
    await expectUserError(loadDesiredState(path.join(f, 'x.yaml')), `${path.join(f, 'x.yaml')}: cannot read the desired state (a part of the path is not a directory).`);
  });

  test('an oversized file is refused before it is read', async () => {
    const big = await write('big.yaml', `version: 1\nresources: []\n# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
    await expectUserError(loadDesiredState(big), `${big}: the file is ${MAX_FILE_BYTES + 28} bytes, over the`, /split it/);
  });

  test('a file given directly may have any name', async () => {
    const p = await write('desired.conf', 'version: 1\nresources: []\n');
    expect(await loadDesiredState(p)).toEqual({ files: [p], resources: [], handlers: [] });
  });
});
