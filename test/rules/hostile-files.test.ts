// Hostile input costs little: every built-in rule that reads files gets a
// file of about a megabyte shaped to make a backtracking pattern or a naive
// parser go quadratic (a 400 KB line of `chmod chmod ...` once took --check
// 10-20 s). Each case must finish and still judge the file correctly. The
// margin is huge: a linear pass takes milliseconds, a quadratic one minutes
// (far past jest's per-test timeout), so no verdict here depends on speed.
// A built-in rule without a case here fails the last test.

import { RootedHost } from '../../src/host/rooted-host.js';
import { MAX_RULE_READ_BYTES } from '../../src/rules/bounded-reads.js';
import { runRules } from '../../src/rules/engine.js';
import { isVerificationProbe } from '../../src/rules/engine.js';
import { loadRules } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/types.js';
import { file, makeRoot, type TempRoot, type Tree } from '../helpers/temp-root.js';
import { ELF } from './fixtures.js';

const NEAR_CAP = MAX_RULE_READ_BYTES - 64;
const fill = (unit: string, prefix = '', suffix = '') => prefix + unit.repeat(Math.floor((NEAR_CAP - prefix.length - suffix.length) / unit.length)) + suffix;

let rules: Rule[];
beforeAll(async () => {
  rules = await loadRules([]);
});
let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function findings(ruleId: string, tree: Tree): Promise<string[]> {
  root = await makeRoot({ 'usr/bin/nvidia-smi': file(ELF, { mode: 0o755 }), ...tree });
  const run = await runRules(new RootedHost(root.dir), rules.filter((r) => r.id === ruleId));
  expect(run.evaluated.map((r) => r.id)).toEqual([ruleId]);
  return run.findings.map((f) => `${f.target}: ${f.message}`);
}

const cases: Array<[string, string, Tree, (found: string[]) => void]> = [
  [
    'device-create-wrapper',
    'a megabyte of `chmod chmod ...` on one line, no original named',
    { 'usr/sbin/ub-device-create': file(fill('chmod ', '#!/bin/sh\n'), { mode: 0o755 }) },
    (f) => expect(f).toEqual([]),
  ],
  [
    'device-create-wrapper',
    'a megabyte of `$a$a$a...` before the call of the original',
    { 'usr/sbin/ub-device-create': file(fill('$a', '#!/bin/sh\n', '\n"$0.original" "$@"\n'), { mode: 0o755 }) },
    (f) => expect(f).toHaveLength(1),
  ],
  [
    'nvidia-smi-wrapper',
    'a megabyte-long script named nvidia-smi early in PATH',
    { 'usr/local/bin/nvidia-smi': file(fill('x', '#!/bin/sh\n'), { mode: 0o755 }) },
    (f) => expect(f).toHaveLength(1),
  ],
  [
    'video-group-restricted',
    'a megabyte of docker members, none in video',
    {
      'etc/group': `root:x:0:\nvideo:x:44:\ndocker:x:999:${fill('u,', '', 'u')}\n`,
    },
    (f) => expect(f).toHaveLength(1),
  ],
  [
    'restrictive-device-params',
    'a megabyte of backslash continuations and option words',
    { 'etc/modprobe.d/x.conf': fill('NVreg_DeviceFileMode=0666 \\\n', 'options nvidia ', 'NVreg_DeviceFileMode=0660\n') },
    (f) => expect(f).toHaveLength(1),
  ],
  [
    'restrictive-udev-rule',
    'a megabyte-long rule line of KERNEL matches and chmod words',
    { 'etc/udev/rules.d/99-x.rules': fill('KERNEL=="nvidia*", RUN+="chmod ', '', '"\n') },
    (f) => expect(f.length).toBeGreaterThan(0),
  ],
  [
    'cuda-awareness-missing',
    'a profile.d script of a megabyte of blanks and `export export ...`',
    {
      'dev/nvidia0': file('stand-in for the node: the rule applies where NVIDIA files exist'),
      'etc/profile.d/x.sh': fill(' \t', '', '\n') + fill('export ', '', 'CUDA_VISIBLE_DEVICES\n').slice(0, 4096),
    },
    (f) => expect(f).toHaveLength(1),
  ],
  [
    'nvidia-smi-cache',
    'a megabyte-long cache file (existence is all that counts)',
    { 'var/lib/ds01/gpu-inventory.cache': fill('GPU 0: ') },
    (f) => expect(f).toHaveLength(1),
  ],
  [
    'module-params-pending-reload',
    'a params file with a megabyte of blanks inside a value',
    { 'proc/driver/nvidia/params': `DeviceFileMode: 4${' '.repeat(NEAR_CAP - 64)}32\nDeviceFileGID: 0\n` },
    (f) => expect(f).toHaveLength(1),
  ],
  [
    'device-node-restricted',
    'a megabyte-long regular file where a node belongs (not a node: judged by type)',
    { 'dev/nvidia0': file(fill('\0')) },
    (f) => expect(f).toEqual([]),
  ],
  [
    'container-toolkit-envvar-bypass',
    'a megabyte of open brackets and quotes in the root table',
    { 'etc/nvidia-container-runtime/config.toml': fill('["', 'x = ') },
    (f) => expect(f).toHaveLength(1),
  ],
];

describe('hostile files cost little, for every built-in rule that reads files', () => {
  it.each(cases)('%s: %s', async (ruleId, _what, tree, judge) => {
    judge(await findings(ruleId, tree));
  });

  it('every built-in rule (but the verification probes) has a hostile case here', () => {
    const covered = new Set(cases.map(([id]) => id));
    expect(rules.filter((r) => !isVerificationProbe(r) && !covered.has(r.id)).map((r) => r.id)).toEqual([]);
  });
});

