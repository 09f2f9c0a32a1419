import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { RootedHost } from '../../../src/host/rooted-host.js';
import type { ProfileEnvResource } from '../../../src/kinds/profile-env/types.js';
import { fingerprintOf } from '../../../src/kinds/shared/fingerprint.js';
import { profileEnvHandler } from '../../../src/kinds/profile-env/profile-env.js';
import { renderProfileScript } from '../../../src/kinds/profile-env/profile-script.js';
import { applyOperation } from '../../helpers/apply-op.js';
import { testSource } from '../../helpers/resources.js';
import { dir, file, makeRoot, symlink, type TempRoot, type Tree } from '../../helpers/temp-root.js';

const PATH = '/etc/profile.d/ds01-gpu-awareness.sh';

function resource(overrides: Partial<ProfileEnvResource> = {}): ProfileEnvResource {
  return {
    kind: 'profile-env',
    id: 'gpu-awareness',
    source: testSource,
    path: PATH,
    env: { CUDA_VISIBLE_DEVICES: '' },
    exempt: { users: ['datasciencelab'], groups: [], grantDir: '/var/lib/ds01/bare-metal-grants' },
    mode: 0o644,
    ...overrides,
  };
}
const SCRIPT = renderProfileScript(resource());
const ACCOUNTS: Tree = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\ndatasciencelab:x:1000:1000::/home/datasciencelab:/bin/bash\n',
  'etc/group': 'root:x:0:\ndatasciencelab:x:1000:\n',
  'etc/profile.d': dir(),
};

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function plan(tree: Tree, res = resource()) {
  root = await makeRoot({ ...ACCOUNTS, ...tree });
  const host = new RootedHost(root.dir);
  return { host, result: profileEnvHandler.diff(res, await profileEnvHandler.probe(host, res)) };
}

describe('profile-env handler', () => {
  it('plans nothing when the script is already there, root-owned, with the mode', async () => {
    const { result } = await plan({ [PATH]: file(SCRIPT, { mode: 0o644, uid: 0, gid: 0 }) });
    expect(result).toEqual({
      changes: [],
      unchanged: [{ resource: 'gpu-awareness', kind: 'profile-env', target: PATH }],
      notes: [],
      errors: [],
    });
  });

  it('plans a create when the script is missing', async () => {
    const { result } = await plan({});
    expect(result.errors).toEqual([]);
    expect(result.changes).toEqual([
      {
        resource: 'gpu-awareness',
        kind: 'profile-env',
        target: PATH,
        action: 'create',
        summary: `${PATH}: create (exports CUDA_VISIBLE_DEVICES in non-exempt login shells)`,
        attributes: {
          mode: { before: null, after: '0644' },
          owner: { before: null, after: 'root' },
          group: { before: null, after: 'root' },
        },
        content: { before: null, after: SCRIPT },
        expect: { type: 'absent' },
        op: { type: 'write-file', contentBase64: Buffer.from(SCRIPT).toString('base64'), mode: 0o644, uid: 0, gid: 0 },
      },
    ]);
  });

  it('plans an update for the hand-written DS01 script, with both contents for the diff', async () => {
    const old = '# DS01 GPU Awareness Layer\n[[ $- == *i* ]] || return 0\nexport CUDA_VISIBLE_DEVICES=""\n';
    const { host, result } = await plan({ [PATH]: file(old, { mode: 0o644 }) });
    expect(result.changes).toEqual([
      {
        resource: 'gpu-awareness',
        kind: 'profile-env',
        target: PATH,
        action: 'update',
        summary: `${PATH}: content differs`,
        content: { before: old, after: SCRIPT },
        expect: fingerprintOf(await host.lstat(PATH)),
        op: { type: 'write-file', contentBase64: Buffer.from(SCRIPT).toString('base64'), mode: 0o644, uid: 0, gid: 0 },
      },
    ]);
  });

  it('plans an update for mode and owner drift alone, without a content diff', async () => {
    const { result } = await plan({ [PATH]: file(SCRIPT, { mode: 0o666, uid: 1000, gid: 1000 }) });
    expect(result.changes).toHaveLength(1);
    const change = result.changes[0]!;
    expect(change.summary).toBe(
      `${PATH}: mode 0666 -> 0644, owner datasciencelab -> root, group datasciencelab -> root`,
    );
    expect(change.content).toBeUndefined();
    expect(change.attributes).toEqual({
      mode: { before: '0666', after: '0644' },
      owner: { before: 'datasciencelab', after: 'root' },
      group: { before: 'datasciencelab', after: 'root' },
    });
  });

  it('applies, and then plans nothing', async () => {
    const first = await plan({ [PATH]: file('old\n', { mode: 0o755, uid: 1000 }) });
    await applyOperation(first.host, first.result.changes[0]!);
    const st = await fs.lstat(root!.path(PATH));
    expect([st.isFile(), st.mode & 0o7777, st.uid, st.gid]).toEqual([true, 0o644, 0, 0]);
    expect(await fs.readFile(root!.path(PATH), 'utf8')).toBe(SCRIPT);
    const again = profileEnvHandler.diff(resource(), await profileEnvHandler.probe(first.host, resource()));
    expect(again.changes).toEqual([]);
    expect(again.unchanged).toHaveLength(1);
  });

  it('creates the script in an empty profile.d, and then plans nothing', async () => {
    const first = await plan({});
    await applyOperation(first.host, first.result.changes[0]!);
    const again = profileEnvHandler.diff(resource(), await profileEnvHandler.probe(first.host, resource()));
    expect(again.changes).toEqual([]);
  });

  it('refuses to write through a symlink', async () => {
    const { result } = await plan({ [PATH]: symlink('/opt/ds01-infra/config/deploy/profile.d/ds01-gpu-awareness.sh') });
    expect(result.changes).toEqual([]);
    expect(result.errors).toEqual([
      {
        resource: 'gpu-awareness',
        kind: 'profile-env',
        target: PATH,
        message:
          `${PATH} is a symlink to /opt/ds01-infra/config/deploy/profile.d/ds01-gpu-awareness.sh, not a regular file: ` +
          'refusing to write through it; remove it (or replace it with a regular file) and run again.',
      },
    ]);
  });

  it('refuses a directory at the path', async () => {
    const { result } = await plan({ [PATH]: dir() });
    expect(result.errors[0]!.message).toMatch(/is a directory, not a regular file/);
  });

  it('reports an env name the script cannot carry as an error for this resource', async () => {
    const { result } = await plan({}, resource({ env: { 'CUDA-DEVICES': '' } }));
    expect(result.changes).toEqual([]);
    expect(result.errors[0]!.message).toMatch(/^cannot generate .*: environment variable name "CUDA-DEVICES" is not a valid shell name/);
  });
});
