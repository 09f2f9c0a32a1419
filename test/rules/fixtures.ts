// Host trees for the rule tests: the two incidents, a converged DS01 host,
// and a host with no NVIDIA files at all.

import { charDevice, file, symlink, type Tree } from '../helpers/temp-root.js';

/** Enough of an ELF header for "is this a real binary?". */
export const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56)]);

export const NVIDIA_WRAPPER = `#!/bin/bash
# /opt/ds01-infra/scripts/admin/nvidia-wrapper.sh
# DS01 NVIDIA Command Wrapper - Bare Metal GPU Access Control
REAL_CMD="/usr/bin/$(basename "$0")"
if ! groups | grep -qE '\\bvideo\\b'; then
  echo "Bare Metal GPU Access Restricted" >&2
  exit 1
fi
exec "$REAL_CMD" "$@"
`;

export const UB_DEVICE_CREATE_WRAPPER = `#!/bin/bash
# DS01 wrapper for NVIDIA ub-device-create
# Ensures nvidia device files are created with 0660 root:video permissions
set -e
/usr/sbin/ub-device-create.original "$@"
find /dev -maxdepth 1 -name "nvidia*" ! -type d | while read -r dev; do
  chgrp video "$dev"
  chmod 0660 "$dev"
done
exit 0
`;

export const AWARENESS_PROFILE = `# DS01 GPU Awareness Layer
case " $(id -Gn 2>/dev/null) " in *) ;; esac
if [ "$(id -un)" != datasciencelab ] && [ ! -f "/var/lib/ds01/bare-metal-grants/$(id -un).json" ]; then
  export CUDA_VISIBLE_DEVICES=""
fi
`;

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/bash\n';

/** Everything an NVIDIA host has that is fine as it is. */
function nvidiaBase(): Tree {
  return {
    'etc/passwd': PASSWD,
    'usr/bin/nvidia-smi': file(ELF, { mode: 0o755 }),
    'usr/bin/nvidia-settings': file(ELF, { mode: 0o755 }),
    'usr/sbin/ub-device-create': file(ELF, { mode: 0o755 }),
    'proc/driver/nvidia/version': 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15\n',
    // Package defaults elsewhere in the search path: harmless.
    'usr/lib/udev/rules.d/60-nvidia.rules': 'KERNEL=="nvidia*", MODE="0666"\nKERNEL=="nvidia_uvm", RUN+="/usr/bin/nvidia-modprobe -c0 -u"\n',
    'lib/modprobe.d/nvidia-defaults.conf': 'options nvidia NVreg_DeviceFileMode=0x1b6 NVreg_DeviceFileGID=0\n',
  };
}

/** 2026-01-31: the device-permission awareness layer (0660 root:video everywhere). */
export function incidentDevicePermissions(): Tree {
  return {
    ...nvidiaBase(),
    'etc/group': 'root:x:0:\nvideo:x:44:alice,bob\ndocker:x:999:alice,bob\n',
    'etc/modprobe.d/nvidia-permissions.conf':
      '# Group: video (GID 44)\noptions nvidia NVreg_DeviceFileGID=44 NVreg_DeviceFileMode=432\n',
    'etc/udev/rules.d/99-ds01-nvidia.rules':
      '# DS01: restrict nvidia devices\nKERNEL=="nvidia[0-9]*", GROUP="video", MODE="0660"\nKERNEL=="nvidiactl", GROUP="video", MODE="0660"\n',
    'usr/sbin/ub-device-create': file(UB_DEVICE_CREATE_WRAPPER, { mode: 0o755 }),
    'usr/sbin/ub-device-create.original': file(ELF, { mode: 0o755 }),
    'var/lib/ds01/gpu-inventory.cache': 'GPU 0: NVIDIA A100 (UUID: GPU-1)\n',
    'proc/driver/nvidia/params': 'ModifyDeviceFiles: 1\nDeviceFileUID: 0\nDeviceFileGID: 44\nDeviceFileMode: 432\n',
    'dev/nvidia0': charDevice(195, 0, { mode: 0o660, gid: 44 }),
    'dev/nvidiactl': charDevice(195, 255, { mode: 0o660, gid: 44 }),
    // No /etc/profile.d script exports CUDA_VISIBLE_DEVICES.
    'etc/profile.d/bash_completion.sh': '. /usr/share/bash-completion/bash_completion\n',
  };
}

/** 2026-02-01: nvidia-* wrappers in /usr/local/bin and video restricted to exempt users. */
/** The container toolkit's config as its package ships it: the switches commented out, defaults apply. */
export const TOOLKIT_CONFIG_SHIPPED = `disable-require = false
#swarm-resource = "DOCKER_RESOURCE_GPU"
#accept-nvidia-visible-devices-envvar-when-unprivileged = true
#accept-nvidia-visible-devices-as-volume-mounts = false

[nvidia-container-cli]
environment = []
load-kmods = true
ldconfig = "@/sbin/ldconfig.real"
`;

/** Hardened as the toolkit documents: no device choice through the environment of an unprivileged container. */
export const TOOLKIT_CONFIG_HARDENED = TOOLKIT_CONFIG_SHIPPED.replace(
  '#accept-nvidia-visible-devices-envvar-when-unprivileged = true\n#accept-nvidia-visible-devices-as-volume-mounts = false',
  'accept-nvidia-visible-devices-envvar-when-unprivileged = false\naccept-nvidia-visible-devices-as-volume-mounts = true',
);

export function incidentWrapper(): Tree {
  return {
    ...nvidiaBase(),
    'etc/nvidia-container-runtime/config.toml': TOOLKIT_CONFIG_SHIPPED,
    'etc/group': 'root:x:0:\nvideo:x:44:datasciencelab\ndocker:x:999:alice,h.baker@hertie-school.lan,datasciencelab\n',
    'opt/ds01-infra/scripts/admin/nvidia-wrapper.sh': file(NVIDIA_WRAPPER, { mode: 0o755 }),
    'usr/local/bin/nvidia-smi': symlink('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh'),
    'usr/local/bin/nvidia-settings': file(NVIDIA_WRAPPER, { mode: 0o755 }),
    'etc/profile.d/ds01-gpu-awareness.sh': AWARENESS_PROFILE,
    'proc/driver/nvidia/params': 'ModifyDeviceFiles: 1\nDeviceFileUID: 0\nDeviceFileGID: 0\nDeviceFileMode: 438\n',
    'dev/nvidia0': charDevice(195, 0, { mode: 0o666 }),
    'dev/nvidiactl': charDevice(195, 255, { mode: 0o666 }),
  };
}

/** DS01 as the desired state leaves it. */
export function converged(): Tree {
  return {
    ...nvidiaBase(),
    'etc/group': 'root:x:0:\nvideo:x:44:alice,h.baker@hertie-school.lan,datasciencelab\ndocker:x:999:alice,h.baker@hertie-school.lan\n',
    'etc/profile.d/ds01-gpu-awareness.sh': AWARENESS_PROFILE,
    'etc/nvidia-container-runtime/config.toml': TOOLKIT_CONFIG_HARDENED,
    // A real binary in /usr/local/bin is not a wrapper.
    'usr/local/bin/nvidia-settings': file(ELF, { mode: 0o755 }),
    'proc/driver/nvidia/params': 'ModifyDeviceFiles: 1\nDeviceFileUID: 0\nDeviceFileGID: 0\nDeviceFileMode: 438\n',
    'dev/nvidia0': charDevice(195, 0, { mode: 0o666 }),
    'dev/nvidiactl': charDevice(195, 255, { mode: 0o666 }),
    'dev/nvidia-uvm': charDevice(510, 0, { mode: 0o666 }),
    'dev/nvidia-caps/nvidia-cap1': charDevice(237, 1, { mode: 0o400 }),
  };
}

/** A machine without GPUs: no driver, no nodes, no tools, no awareness script. */
export function noNvidia(): Tree {
  return {
    'etc/passwd': PASSWD,
    'etc/group': 'root:x:0:\nvideo:x:44:\ndocker:x:999:alice,bob\n',
    'etc/profile.d/bash_completion.sh': '. /usr/share/bash-completion/bash_completion\n',
    'usr/bin/ls': file(ELF, { mode: 0o755 }),
    'dev/null': charDevice(1, 3, { mode: 0o666 }),
  };
}
