import { RootedHost } from '../../../src/host/rooted-host.js';
import { matchModprobeOption } from '../../../src/rules/matchers/modprobe-option.js';
import type { ModprobeOptionMatch } from '../../../src/rules/types.js';
import { makeRoot, symlink, type TempRoot, type Tree } from '../../helpers/temp-root.js';

const match: ModprobeOptionMatch = {
  type: 'modprobe-option',
  dirs: ['/etc/modprobe.d', '/run/modprobe.d', '/usr/lib/modprobe.d', '/lib/modprobe.d'],
  module: 'nvidia',
  option: 'NVreg_DeviceFileMode',
  allowed: ['0666'],
};

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function hits(tree: Tree) {
  root = await makeRoot(tree);
  return matchModprobeOption(new RootedHost(root.dir), match);
}

const conf = (value: string) => `options nvidia NVreg_DeviceFileGID=0 NVreg_DeviceFileMode=${value}\n`;

describe('modprobe-option', () => {
  it.each(['438', '0666', '0x1b6'])('accepts %s (0666 in base 0)', async (v) => {
    expect(await hits({ 'etc/modprobe.d/nvidia.conf': conf(v) })).toEqual([]);
  });

  it.each([
    ['432', '0660'],
    ['0660', '0660'],
    ['0x1b0', '0660'],
    ['666', '01232'],
  ])('flags %s (= %s) with the file as target', async (v, shown) => {
    const found = await hits({ 'usr/lib/modprobe.d/nvidia.conf': conf(v) });
    expect(found).toHaveLength(1);
    expect(found[0]!.target).toBe('/usr/lib/modprobe.d/nvidia.conf');
    expect(found[0]!.message).toContain(`NVreg_DeviceFileMode=${v} (= ${shown})`);
  });

  it('flags a value the kernel would reject', async () => {
    const [h] = await hits({ 'etc/modprobe.d/x.conf': conf('0999') });
    expect(h!.message).toContain('not an integer the kernel accepts');
  });

  it('ignores other modules, comments, and files not ending in .conf', async () => {
    expect(
      await hits({
        'etc/modprobe.d/a.conf': '# options nvidia NVreg_DeviceFileMode=432\noptions nvidia_uvm NVreg_DeviceFileMode=432\n',
        'etc/modprobe.d/b.conf.disabled': conf('432'),
      }),
    ).toEqual([]);
  });

  it('treats - and _ in module names alike', async () => {
    const m = { ...match, module: 'nvidia-drm', option: 'modeset', allowed: ['1'] };
    root = await makeRoot({ 'etc/modprobe.d/a.conf': 'options nvidia_drm modeset=0\n' });
    expect(await matchModprobeOption(new RootedHost(root.dir), m)).toHaveLength(1);
  });

  it('does not flag a vendor file hidden by a same-named file in /etc (or masked with /dev/null)', async () => {
    expect(
      await hits({
        'etc/modprobe.d/nvidia.conf': conf('438'),
        'usr/lib/modprobe.d/nvidia.conf': conf('432'),
        'etc/modprobe.d/other.conf': symlink('/dev/null'),
        'lib/modprobe.d/other.conf': conf('432'),
      }),
    ).toEqual([]);
  });
});
