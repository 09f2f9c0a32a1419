import { RootedHost } from '../../../src/host/rooted-host.js';
import { loadRules } from '../../../src/rules/load.js';
import { matchFileContent } from '../../../src/rules/matchers/file-content.js';
import type { FileContentMatch } from '../../../src/rules/types.js';
import { renderProfileScript } from '../../../src/kinds/profile-env/profile-script.js';
import type { ProfileEnvResource } from '../../../src/kinds/profile-env/types.js';
import { makeRoot, symlink, type TempRoot, type Tree } from '../../helpers/temp-root.js';

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function hits(tree: Tree, match: FileContentMatch) {
  root = await makeRoot(tree);
  return matchFileContent(new RootedHost(root.dir), match);
}

describe('file-content', () => {
  it("'present' without a pattern flags each existing file", async () => {
    const m: FileContentMatch = { type: 'file-content', paths: ['/var/cache/*.cache'], when: 'present' };
    expect((await hits({ 'var/cache/a.cache': '', 'var/cache/b.txt': '' }, m)).map((h) => h.target)).toEqual(['/var/cache/a.cache']);
  });

  it("'missing' fires once when no file matches, and not when one does", async () => {
    const m: FileContentMatch = { type: 'file-content', paths: ['/etc/profile.d/*.sh'], pattern: '^export X=1$', when: 'missing' };
    expect(await hits({ 'etc/profile.d/a.sh': 'export X=2\n' }, m)).toHaveLength(1);
    await root!.cleanup();
    expect(await hits({ 'etc/profile.d/a.sh': 'true\n', 'etc/profile.d/b.sh': 'export X=1\n' }, m)).toEqual([]);
  });

  it('follows a symlinked file (inside the root)', async () => {
    const m: FileContentMatch = { type: 'file-content', paths: ['/etc/x'], pattern: 'bad', when: 'present' };
    expect(await hits({ 'opt/real': 'bad\n', 'etc/x': symlink('/opt/real') }, m)).toHaveLength(1);
  });
});

describe('the cuda-awareness-missing pattern', () => {
  const cases: Array<[string, boolean]> = [
    ['export CUDA_VISIBLE_DEVICES=""\n', true],
    ["  export CUDA_VISIBLE_DEVICES=''\n", true],
    ['CUDA_VISIBLE_DEVICES=; export CUDA_VISIBLE_DEVICES\n', true],
    ['export CUDA_VISIBLE_DEVICES=\n', true],
    ['export CUDA_VISIBLE_DEVICES="0"\n', false],
    ['# export CUDA_VISIBLE_DEVICES=""\n', false],
    ['unset CUDA_VISIBLE_DEVICES\n', false],
  ];
  it.each(cases)('%p hides the GPUs: %p', async (script, hides) => {
    const rule = (await loadRules([])).find((r) => r.id === 'cuda-awareness-missing')!;
    const found = await hits({ 'etc/profile.d/gpu.sh': script }, rule.match as FileContentMatch);
    expect(found.length === 0).toBe(hides);
  });
});

it('the script the profile-env resource generates satisfies cuda-awareness-missing', async () => {
  const resource: ProfileEnvResource = {
    kind: 'profile-env',
    id: 'gpu-awareness-profile',
    source: { file: 'x', line: 1, column: 1 },
    path: '/etc/profile.d/ds01-gpu-awareness.sh',
    env: { CUDA_VISIBLE_DEVICES: '' },
    exempt: { users: ['datasciencelab'], groups: [], grantDir: '/var/lib/ds01/bare-metal-grants' },
    mode: 0o644,
  };
  const rule = (await loadRules([])).find((r) => r.id === 'cuda-awareness-missing')!;
  const m = rule.match as FileContentMatch;
  expect(await hits({ 'etc/profile.d/ds01-gpu-awareness.sh': renderProfileScript(resource) }, m)).toEqual([]);
  await root!.cleanup();
  const other = renderProfileScript({ ...resource, env: { CUDA_VISIBLE_DEVICES: '0' } });
  expect(await hits({ 'etc/profile.d/ds01-gpu-awareness.sh': other }, m)).toHaveLength(1);
});
