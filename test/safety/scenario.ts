// One host and one desired state that exercise every resource kind and every
// operation apply can do: create, update (content and attributes only),
// delete a file, a symlink and a directory tree, group members added and
// (exclusive) removed, a device node's mode, a restored original.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canMakeDevices, charDevice, dir, file, makeRoot, symlink, type TempRoot, type Tree } from '../helpers/temp-root.js';

export const WRAPPER = '#!/bin/bash\n# DS01 wrapper for NVIDIA ub-device-create\n/usr/sbin/ub-device-create.original "$@"\nchmod 0660 /dev/nvidia*\n';
export const ORIGINAL = '#!/bin/sh\nexec /usr/bin/nvidia-modprobe -c 0 -u "$@"\n';

export function scenarioTree(withDevices: boolean): Tree {
  const tree: Tree = {
    'etc/passwd':
      'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/bash\ncarol:x:1003:1003::/home/carol:/bin/bash\n',
    'etc/group': 'root:x:0:\nshadow:x:42:\nvideo:x:44:alice\nstaff:x:50:alice,bob,carol\ndocker:x:999:alice,bob\n',
    'etc/gshadow': file('root:*::\nshadow:*::\nvideo:!::alice\nstaff:!::alice,bob,carol\ndocker:!::alice,bob\n', { mode: 0o640, gid: 42 }),
    'etc/managed.conf': file('old content\n', { mode: 0o600, uid: 1001, gid: 1001 }),
    'etc/attrs.conf': file('same content\n', { mode: 0o664, uid: 1002 }),
    'etc/gone.conf': file('remove me\n', { mode: 0o640, gid: 50 }),
    'etc/profile.d/other.sh': '# not ours\n',
    'etc/modprobe.d/nvidia-permissions.conf': 'options nvidia NVreg_DeviceFileMode=432\n',
    'usr/local/bin/nvidia-smi': symlink('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh'),
    'opt/ds01-infra/scripts/admin/nvidia-wrapper.sh': file('#!/bin/bash\n# DS01 NVIDIA Command Wrapper\n', { mode: 0o755 }),
    'usr/sbin/ub-device-create': file(WRAPPER, { mode: 0o755 }),
    'usr/sbin/ub-device-create.original': file(ORIGINAL, { mode: 0o750, gid: 44 }),
    'var/cache/legacy': dir({ mode: 0o750, gid: 44 }),
    'var/cache/legacy/inventory.cache': file('GPU 0\n', { mode: 0o600 }),
    'var/cache/legacy/sub': dir({ mode: 0o700 }),
    'var/cache/legacy/sub/link': symlink('../inventory.cache'),
    'var/lib/ds01/bare-metal-grants': dir({ mode: 0o711 }),
  };
  if (withDevices) tree['dev/nvidia0'] = charDevice(195, 0, { mode: 0o660, gid: 44 });
  else tree['dev'] = dir();
  return tree;
}

export const SCENARIO_YAML = `version: 1
resources:
  - id: managed
    kind: file
    path: /etc/managed.conf
    content: "new content\\n"
    mode: "0644"
    owner: root
    group: root
  - id: attrs
    kind: file
    path: /etc/attrs.conf
    content: "same content\\n"
    mode: "0644"
    owner: root
    group: root
  - id: created
    kind: file
    path: /etc/created.conf
    content: "created\\n"
    mode: "0640"
    owner: root
    group: video
  - id: gone
    kind: file
    path: /etc/gone.conf
    state: absent
  - id: profile
    kind: profile-env
    path: /etc/profile.d/ds01-gpu-awareness.sh
    env:
      CUDA_VISIBLE_DEVICES: ""
    exempt:
      users: [alice]
      grantDir: /var/lib/ds01/bare-metal-grants
    mode: "0644"
  - id: video
    kind: group
    group: video
    include: [docker]
  - id: staff
    kind: group
    group: staff
    members: [alice, carol]
    exclusive: true
  - id: legacy-files
    kind: absent
    paths:
      - /etc/modprobe.d/nvidia-permissions.conf
      - /var/cache/legacy
    allowDirectories: true
  - id: wrappers
    kind: absent
    paths:
      - /usr/local/bin/nvidia-*
    onlyIf:
      linkTargetMatches: nvidia-wrapper
  - id: ub-device-create
    kind: restore-original
    path: /usr/sbin/ub-device-create
    original: /usr/sbin/ub-device-create.original
    wrapperMatches: DS01 wrapper for NVIDIA ub-device-create
  - id: devices
    kind: device-mode
    paths:
      - /dev/nvidia[0-9]*
    mode: "0666"
    owner: root
    group: root
`;

export interface Scenario {
  root: TempRoot;
  desired: string;
  devices: boolean;
  cleanup(): Promise<void>;
}

/** A fresh scenario root and its desired-state file (root-owned, 0644, in a 0700 dir). */
export async function makeScenario(yaml = SCENARIO_YAML): Promise<Scenario> {
  const devices = await canMakeDevices();
  const root = await makeRoot(scenarioTree(devices));
  const cfgDir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-cfg-'));
  const desired = path.join(cfgDir, 'desired.yaml');
  await fs.writeFile(desired, yaml, { mode: 0o644 });
  return {
    root,
    desired,
    devices,
    cleanup: async () => {
      await root.cleanup();
      await fs.rm(cfgDir, { recursive: true, force: true });
    },
  };
}
