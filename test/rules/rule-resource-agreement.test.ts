// Every wrapper a rule reports is one the matching resource fixes: the
// device-create-wrapper rule and the restore-original resource decide with
// one predicate; the nvidia-smi-wrapper rule reports a wrapper copy even when
// its real tool is missing, which the nvidia-smi-wrappers resource removes.

import { RootedHost } from '../../src/host/rooted-host.js';
import { loadDesiredState } from '../../src/model/load.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { runRules } from '../../src/rules/engine.js';
import { loadRules } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/types.js';
import { file, makeRoot, symlink, type TempRoot, type Tree } from '../helpers/temp-root.js';
import { ELF, NVIDIA_WRAPPER } from './fixtures.js';

let rules: Rule[];
beforeAll(async () => {
  rules = await loadRules([]);
});
let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function both(tree: Tree, ruleId: string, resourceId: string) {
  root = await makeRoot({ 'etc/group': 'root:x:0:\nvideo:x:44:\ndocker:x:999:\n', 'etc/gshadow': 'root:*::\nvideo:!::\ndocker:!::\n', ...tree });
  const host = new RootedHost(root.dir);
  const desired = await loadDesiredState('desired-state/ds01.yaml');
  const plan = await buildPlan(host, desired.resources.filter((r) => r.id === resourceId));
  const run = await runRules(host, rules.filter((r) => r.id === ruleId));
  return { fired: run.findings.map((f) => f.target), fixes: plan.changes.map((c) => c.target), errors: plan.errors };
}

const ORIGINAL = file(ELF, { mode: 0o755 });
const DEVICE_CREATE_VARIANTS: Array<[string, string]> = [
  ['the DS01 wrapper', '#!/bin/bash\n# DS01 wrapper for NVIDIA ub-device-create\n/usr/sbin/ub-device-create.original "$@"\nchmod 0660 /dev/nvidia*\n'],
  ['a wrapper without the DS01 comment', '#!/bin/sh\n"$0.original" "$@"\nfor d in /dev/nvidia*; do chgrp video "$d"; chmod 0660 "$d"; done\n'],
  ['a wrapper that runs it by file name', '#!/bin/bash\nexec "$(dirname "$0")/ub-device-create.original" "$@"\n'],
];

describe('device-create-wrapper and restore-original agree', () => {
  it.each(DEVICE_CREATE_VARIANTS)('%s: reported and restored', async (_what, wrapper) => {
    const r = await both(
      { 'usr/sbin/ub-device-create': file(wrapper, { mode: 0o755 }), 'usr/sbin/ub-device-create.original': ORIGINAL },
      'device-create-wrapper',
      'ub-device-create-original',
    );
    expect(r.fired).toEqual(['/usr/sbin/ub-device-create']);
    expect(r.fixes).toEqual(['/usr/sbin/ub-device-create']);
  });

  it('the real tool: neither reported nor touched', async () => {
    const r = await both({ 'usr/sbin/ub-device-create': ORIGINAL }, 'device-create-wrapper', 'ub-device-create-original');
    expect(r).toEqual({ fired: [], fixes: [], errors: [] });
  });
});

describe('nvidia-smi-wrapper and nvidia-smi-wrappers agree', () => {
  it('a wrapper copy with no real tool in /usr/bin is reported and removed', async () => {
    const r = await both({ 'usr/local/bin/nvidia-debugdump': file(NVIDIA_WRAPPER, { mode: 0o755 }) }, 'nvidia-smi-wrapper', 'nvidia-smi-wrappers');
    expect(r.fired).toEqual(['/usr/local/bin/nvidia-debugdump']);
    expect(r.fixes).toEqual(['/usr/local/bin/nvidia-debugdump']);
  });

  it('a link to the wrapper that shadows the real tool is reported and removed', async () => {
    const r = await both(
      {
        'opt/ds01-infra/scripts/admin/nvidia-wrapper.sh': file(NVIDIA_WRAPPER, { mode: 0o755 }),
        'usr/local/bin/nvidia-smi': symlink('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh'),
        'usr/bin/nvidia-smi': file(ELF, { mode: 0o755 }),
      },
      'nvidia-smi-wrapper',
      'nvidia-smi-wrappers',
    );
    expect(r.fired).toEqual(['/usr/local/bin/nvidia-smi']);
    expect(r.fixes).toEqual(['/usr/local/bin/nvidia-smi']);
  });

  it('a real binary in /usr/local/bin is neither', async () => {
    const r = await both({ 'usr/local/bin/nvidia-ctk': file(ELF, { mode: 0o755 }) }, 'nvidia-smi-wrapper', 'nvidia-smi-wrappers');
    expect(r).toEqual({ fired: [], fixes: [], errors: [] });
  });
});
