// Every built-in rule fires on its incident and stays quiet on a converged
// host and on a host without NVIDIA files, through the real RootedHost.

import { RootedHost } from '../../src/host/rooted-host.js';
import { runRules, type RuleRun } from '../../src/rules/engine.js';
import { loadRules } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/types.js';
import { canMakeDevices, makeRoot, type TempRoot, type Tree } from '../helpers/temp-root.js';
import { converged, incidentDevicePermissions, incidentWrapper, noNvidia } from './fixtures.js';

let rules: Rule[];
const roots: TempRoot[] = [];
let devices = false;

beforeAll(async () => {
  rules = await loadRules([]);
  devices = await canMakeDevices();
});
afterAll(async () => {
  await Promise.all(roots.map((r) => r.cleanup()));
});

/** Without CAP_MKNOD the device entries are left out (and the device assertions skipped). */
async function check(tree: Tree): Promise<RuleRun> {
  const usable = devices
    ? tree
    : Object.fromEntries(Object.entries(tree).filter(([, e]) => !(typeof e === 'object' && 'major' in e)));
  const root = await makeRoot(usable);
  roots.push(root);
  return runRules(new RootedHost(root.dir), rules);
}

const fired = (run: RuleRun, id: string) => run.findings.filter((f) => f.rule === id);

describe('incident 2026-01-31 (device permissions)', () => {
  let run: RuleRun;
  beforeAll(async () => {
    run = await check(incidentDevicePermissions());
  });

  it('flags the modprobe.d file, naming it as the target', () => {
    const [f, ...rest] = fired(run, 'restrictive-device-params');
    expect(rest).toHaveLength(0);
    expect(f!.target).toBe('/etc/modprobe.d/nvidia-permissions.conf');
    expect(f!.message).toBe(
      '/etc/modprobe.d/nvidia-permissions.conf line 2: options nvidia NVreg_DeviceFileMode=432 (= 0660); NVreg_DeviceFileMode must be 0666.',
    );
    expect(f!.severity).toBe('critical');
    expect(f!.status).toBe('fail');
    expect(f!.remediation).toContain('legacy-device-permission-files');
  });

  it('flags the udev rule', () => {
    const [f, ...rest] = fired(run, 'restrictive-udev-rule');
    expect(rest).toHaveLength(0);
    expect(f!.target).toBe('/etc/udev/rules.d/99-ds01-nvidia.rules');
    expect(f!.message).toContain('line 2 sets MODE="0660"');
    expect(f!.message).toContain('line 3 sets MODE="0660"');
  });

  it('flags the ub-device-create wrapper', () => {
    const found = fired(run, 'device-create-wrapper');
    expect(found.map((f) => f.target)).toEqual(['/usr/sbin/ub-device-create']);
    // What the script does, with the line as evidence, then the rule's words.
    expect(found[0]!.message).toMatch(
      /^\/usr\/sbin\/ub-device-create is a script \(#!\/bin\/bash\) that runs \/usr\/sbin\/ub-device-create\.original \(line 5: \/usr\/sbin\/ub-device-create\.original "\$@"\).* It is a wrapper script, not NVIDIA's helper/,
    );
  });

  it('flags the nvidia-smi cache', () => {
    expect(fired(run, 'nvidia-smi-cache').map((f) => f.target)).toEqual(['/var/lib/ds01/gpu-inventory.cache']);
  });

  it('flags the missing CUDA awareness script', () => {
    const [f] = fired(run, 'cuda-awareness-missing');
    expect(f!.target).toBe('/etc/profile.d/*.sh');
    expect(f!.message).toContain('No login shell gets CUDA_VISIBLE_DEVICES=""');
  });

  it('says what is wrong in words, never with a rule\'s raw regular expression', () => {
    for (const f of run.findings) {
      const rule = rules.find((r) => r.id === f.rule)!;
      const m = rule.match;
      const patterns = [m.type === 'file-content' ? m.pattern : undefined, m.type === 'udev-rule' ? m.runMatches : undefined];
      for (const p of patterns) if (p) expect(f.message).not.toContain(p);
    }
  });

  it('flags the loaded module parameters and says only a reload or reboot fixes them', () => {
    const [f] = fired(run, 'module-params-pending-reload');
    expect(f!.target).toBe('/proc/driver/nvidia/params');
    expect(f!.message).toContain('DeviceFileMode: 432');
    expect(f!.message).toContain('DeviceFileGID: 44');
    expect(f!.severity).toBe('warning');
    expect(f!.message).toMatch(/Only a module reload or a reboot fixes this/);
  });

  it('flags each restrictive device node', () => {
    if (!devices) return;
    expect(fired(run, 'device-node-restricted').map((f) => f.target)).toEqual(['/dev/nvidia0', '/dev/nvidiactl']);
    expect(fired(run, 'device-node-restricted')[0]!.message).toContain('mode 0660, not 0666');
  });

  it('does not flag what that incident did not break', () => {
    expect(fired(run, 'nvidia-smi-wrapper')).toEqual([]);
    expect(fired(run, 'video-group-restricted')).toEqual([]);
  });

  it('does not run the verification probes under --root', () => {
    expect(run.evaluated.some((r) => r.match.type === 'command')).toBe(false);
    expect(run.findings.some((f) => f.rule.startsWith('verify-'))).toBe(false);
  });
});

describe('incident 2026-02-01 (nvidia-smi wrapper, video restricted)', () => {
  let run: RuleRun;
  beforeAll(async () => {
    run = await check(incidentWrapper());
  });

  it('flags the symlinked wrapper and the copied one, not the real binaries', () => {
    const found = fired(run, 'nvidia-smi-wrapper');
    expect(found.map((f) => f.target)).toEqual(['/usr/local/bin/nvidia-settings', '/usr/local/bin/nvidia-smi']);
    const smi = found.find((f) => f.target === '/usr/local/bin/nvidia-smi')!;
    expect(smi.message).toContain('symlink to /opt/ds01-infra/scripts/admin/nvidia-wrapper.sh');
    expect(smi.message).toContain('a script (#!/bin/bash)');
    expect(smi.message).toContain('before /usr/bin/nvidia-smi');
  });

  it('flags the container toolkit left at its default: NVIDIA_VISIBLE_DEVICES voids --gpus pinning', () => {
    const [f, ...rest] = fired(run, 'container-toolkit-envvar-bypass');
    expect(rest).toHaveLength(0);
    expect(f!.severity).toBe('critical');
    expect(f!.target).toBe('/etc/nvidia-container-runtime/config.toml');
    expect(f!.message).toContain('takes its default (true)');
    expect(f!.remediation).toContain('accept-nvidia-visible-devices-envvar-when-unprivileged = false');
    expect(f!.remediation).toContain('accept-nvidia-visible-devices-as-volume-mounts');
  });

  it('names the docker members missing from video', () => {
    const [f, ...rest] = fired(run, 'video-group-restricted');
    expect(rest).toHaveLength(0);
    expect(f!.target).toBe('video');
    expect(f!.message).toContain('alice, h.baker@hertie-school.lan');
    expect(f!.message).not.toContain('datasciencelab');
  });

  it('does not flag what that incident did not break', () => {
    for (const id of [
      'restrictive-device-params',
      'restrictive-udev-rule',
      'device-create-wrapper',
      'nvidia-smi-cache',
      'cuda-awareness-missing',
      'module-params-pending-reload',
      'device-node-restricted',
    ]) {
      expect(fired(run, id)).toEqual([]);
    }
  });
});

describe('quiet hosts', () => {
  it('a converged DS01 host has no findings, and every non-probe rule was evaluated', async () => {
    const run = await check(converged());
    expect(run.findings).toEqual([]);
    expect(run.evaluated.map((r) => r.id).sort()).toEqual(
      rules.filter((r) => r.match.type !== 'command').map((r) => r.id).sort(),
    );
  });

  it('a host without any NVIDIA files has no findings', async () => {
    const run = await check(noNvidia());
    expect(run.findings).toEqual([]);
  });

  it('an empty root has no findings', async () => {
    const run = await check({});
    expect(run.findings).toEqual([]);
  });
});
