import { RootedHost } from '../../../src/host/rooted-host.js';
import { matchPathShadow } from '../../../src/rules/matchers/path-shadow.js';
import type { PathShadowMatch } from '../../../src/rules/types.js';
import { file, makeRoot, symlink, type TempRoot, type Tree } from '../../helpers/temp-root.js';
import { ELF, NVIDIA_WRAPPER } from '../fixtures.js';

const match: PathShadowMatch = {
  type: 'path-shadow',
  names: 'nvidia-*',
  dirs: ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin'],
  shadows: ['/usr/bin', '/bin'],
};

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function targets(tree: Tree): Promise<string[]> {
  root = await makeRoot({ 'usr/bin/nvidia-smi': file(ELF, { mode: 0o755 }), ...tree });
  return (await matchPathShadow(new RootedHost(root.dir), match)).map((h) => h.target);
}

describe('path-shadow', () => {
  it('does not flag a real ELF binary in an early PATH directory', async () => {
    expect(await targets({ 'usr/local/bin/nvidia-smi': file(ELF, { mode: 0o755 }) })).toEqual([]);
  });

  it('does not flag a symlink to a real binary', async () => {
    expect(await targets({ 'usr/local/bin/nvidia-smi': symlink('/usr/bin/nvidia-smi') })).toEqual([]);
  });

  it('flags a script with a shebang', async () => {
    expect(await targets({ 'usr/local/bin/nvidia-smi': file('#!/bin/sh\nexit 1\n', { mode: 0o755 }) })).toEqual([
      '/usr/local/bin/nvidia-smi',
    ]);
  });

  it('flags a symlink to a script, relative or absolute', async () => {
    expect(
      await targets({
        'opt/w.sh': file(NVIDIA_WRAPPER, { mode: 0o755 }),
        'usr/local/bin/nvidia-smi': symlink('../../../opt/w.sh'),
        'usr/local/sbin/nvidia-smi': symlink('/opt/w.sh'),
      }),
    ).toEqual(['/usr/local/sbin/nvidia-smi', '/usr/local/bin/nvidia-smi']);
  });

  it('flags a file that is neither ELF nor a script with a shebang (sh runs it)', async () => {
    const hits = await targets({ 'usr/sbin/nvidia-smi': file('echo blocked; exit 1\n', { mode: 0o755 }) });
    expect(hits).toEqual(['/usr/sbin/nvidia-smi']);
  });

  it('does not flag a script that shadows nothing', async () => {
    expect(await targets({ 'usr/local/bin/nvidia-report': file('#!/bin/sh\n', { mode: 0o755 }) })).toEqual([]);
  });

  it('ignores dangling symlinks and directories', async () => {
    expect(
      await targets({
        'usr/local/bin/nvidia-smi': symlink('/nowhere'),
        'usr/local/bin/nvidia-settings/x': 'not a command',
      }),
    ).toEqual([]);
  });
});
