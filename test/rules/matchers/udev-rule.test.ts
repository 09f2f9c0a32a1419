import { RootedHost } from '../../../src/host/rooted-host.js';
import { matchUdevRule } from '../../../src/rules/matchers/udev-rule.js';
import type { UdevRuleMatch } from '../../../src/rules/types.js';
import { makeRoot, type TempRoot, type Tree } from '../../helpers/temp-root.js';

const match: UdevRuleMatch = {
  type: 'udev-rule',
  dirs: ['/etc/udev/rules.d', '/run/udev/rules.d', '/usr/lib/udev/rules.d', '/lib/udev/rules.d'],
  devices: 'nvidia',
  allowedModes: ['0666'],
  runMatches: '\\b(chmod|chgrp|chown|setfacl)\\b',
};

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function hits(tree: Tree) {
  root = await makeRoot(tree);
  return matchUdevRule(new RootedHost(root.dir), match);
}

describe('udev-rule', () => {
  it('accepts MODE 0666 and 666 (udev reads octal)', async () => {
    expect(await hits({ 'etc/udev/rules.d/70-n.rules': 'KERNEL=="nvidia*", MODE="0666"\nKERNEL=="nvidiactl", MODE="666"\n' })).toEqual([]);
  });

  it('flags a restrictive MODE on an nvidia device', async () => {
    const [h] = await hits({ 'run/udev/rules.d/99-x.rules': 'SUBSYSTEM=="misc", KERNEL=="nvidia-uvm", MODE:="600"\n' });
    expect(h!.target).toBe('/run/udev/rules.d/99-x.rules');
    expect(h!.message).toContain('line 1 sets MODE="600" (0600)');
  });

  it('flags a RUN that chmods or chgrps nvidia nodes, even when the match is not about nvidia', async () => {
    const found = await hits({
      'etc/udev/rules.d/99-fix.rules':
        'ACTION=="add", SUBSYSTEM=="pci", RUN+="/bin/sh -c \'chgrp video /dev/nvidia*; chmod 0660 /dev/nvidia*\'"\n',
    });
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('line 1 runs');
  });

  it('ignores rules about other devices and harmless RUN commands', async () => {
    expect(
      await hits({
        'etc/udev/rules.d/50-x.rules': 'KERNEL=="ttyUSB*", MODE="0660"\nKERNEL=="nvidia_uvm", RUN+="/usr/bin/nvidia-modprobe -c0 -u"\n',
      }),
    ).toEqual([]);
  });

  it('does not flag a vendor rule overridden by the same name in /etc', async () => {
    expect(
      await hits({
        'etc/udev/rules.d/60-nvidia.rules': 'KERNEL=="nvidia*", MODE="0666"\n',
        'usr/lib/udev/rules.d/60-nvidia.rules': 'KERNEL=="nvidia*", MODE="0660"\n',
      }),
    ).toEqual([]);
  });
});
