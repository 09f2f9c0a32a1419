// kind generated: bad input per key (located, one paragraph), and the
// sandbox's command line (the behaviour itself runs for real in
// test/integration/debian/generated.test.ts).

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateDesiredStateText } from '../../../src/model/load.js';
import { bwrapArgs } from '../../../src/host/sandbox.js';
import { generatorArgv } from '../../../src/kinds/generated/run-generator.js';
import type { GeneratedResource } from '../../../src/kinds/generated/types.js';
import { expectUserError } from '../../model/fixtures/expect-user-error.js';

const F = 'ds.yaml';
const check = (body: string, opts: { sourceRoot?: string } = {}) =>
  validateDesiredStateText(`version: 1\nresources:\n  - id: g\n    kind: generated\n${body}`, F, opts);
const OK = '    command: [gen]\n    output: /etc/x\n';

describe('generated: bad input', () => {
  it('command is a non-empty list of non-empty strings, and the program is not {out}', async () => {
    await expectUserError(check('    command: gen --all\n    output: /etc/x\n'), `${F}:5:14: resources[0].command:`, /a list/);
    await expectUserError(check('    command: []\n    output: /etc/x\n'), `${F}:5:14: resources[0].command:`);
    await expectUserError(check('    command: [""]\n    output: /etc/x\n'), `${F}:5:15: resources[0].command[0]:`);
    await expectUserError(check('    command: ["{out}/gen"]\n    output: /etc/x\n'), `${F}:5:15: resources[0].command[0]: the program itself cannot be`);
  });

  it('output is required, absolute and normalised', async () => {
    await expectUserError(check('    command: [gen]\n'), `${F}:3:5: resources[0].output: missing required key \`output\``);
    await expectUserError(check('    command: [gen]\n    output: etc/x\n'), `${F}:6:13: resources[0].output:`, /start with `\/`/);
    await expectUserError(check('    command: [gen]\n    output: /etc/../x\n'), `${F}:6:13: resources[0].output:`, /contains a `..` segment/);
  });

  it('sourceAt needs a source root, and must not overlap the output', async () => {
    await expectUserError(check(`${OK}    sourceAt: /opt/src\n`), `${F}:7:15: resources[0].sourceAt: resource g mounts the source root, but no source root is given`);
    const src = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-gen-src-'));
    try {
      await expectUserError(check(`${OK}    sourceAt: /etc/x/src\n`, { sourceRoot: src }), `${F}:7:15: resources[0].sourceAt: the source mount /etc/x/src and the output /etc/x overlap`);
      const [r] = (await check(`${OK}    sourceAt: /opt/src\n`, { sourceRoot: src })) as GeneratedResource[];
      expect([r!.sourceAt, r!.sourceRoot]).toEqual(['/opt/src', src]);
    } finally {
      await fs.rm(src, { recursive: true });
    }
  });

  it('user, owner and group are names; timeoutSeconds 1..3600; modes quoted octal; env names are variable names', async () => {
    await expectUserError(check(`${OK}    user: "bad name"\n`), `${F}:7:11: resources[0].user:`);
    await expectUserError(check(`${OK}    owner: [root]\n`), `${F}:7:12: resources[0].owner:`);
    await expectUserError(check(`${OK}    group: ""\n`), `${F}:7:12: resources[0].group:`);
    await expectUserError(check(`${OK}    timeoutSeconds: 0\n`), `${F}:7:21: resources[0].timeoutSeconds:`);
    await expectUserError(check(`${OK}    timeoutSeconds: 5000\n`), `${F}:7:21: resources[0].timeoutSeconds:`);
    await expectUserError(check(`${OK}    mode: 0644\n`), `${F}:7:11: resources[0].mode:`, /quotes/);
    await expectUserError(check(`${OK}    directoryMode: "0999"\n`), `${F}:7:20: resources[0].directoryMode:`);
    await expectUserError(check(`${OK}    env: { "A-B": x }\n`), `${F}:7:12: resources[0].env["A-B"]: "A-B" is not a valid key`);
    await expectUserError(check(`${OK}    env: { A: 1 }\n`), `${F}:7:15: resources[0].env.A:`);
    await expectUserError(check(`${OK}    shell: true\n`), `${F}:7:5: resources[0].shell:`);
  });

  it('defaults: 60 s, no user, no env', async () => {
    const [r] = (await check(OK)) as GeneratedResource[];
    expect(r).toMatchObject({ kind: 'generated', command: ['gen'], output: '/etc/x', timeoutSeconds: 60 });
    expect([r!.user, r!.env, r!.mode]).toEqual([undefined, undefined, undefined]);
  });
});

describe('generated: the sandbox', () => {
  const res = (over: Partial<GeneratedResource> = {}): GeneratedResource => ({
    id: 'g',
    kind: 'generated',
    source: { file: F, line: 1, column: 1 },
    command: ['python3', 'gen.py', '--out={out}', '{out}'],
    output: '/etc/systemd/system',
    timeoutSeconds: 60,
    ...over,
  });

  it('{out} stands for the output directory inside any argument', () => {
    expect(generatorArgv(res())).toEqual(['python3', 'gen.py', '--out=/etc/systemd/system', '/etc/systemd/system']);
  });

  it('as root: the root read-only, the scratch writable at the output, no capabilities, no shared namespaces, a clean environment', () => {
    const args = bwrapArgs({ argv: ['gen'], output: { dir: '/var/lib/reconcile/scratch/g.1', at: '/etc/out' }, readOnly: [{ from: '/src', at: '/opt/src' }], timeoutMs: 1000 }, { root: '/r', output: '/r/var/lib/reconcile/scratch/g.1' });
    const joined = args.join(' ');
    expect(args.slice(0, 3)).toEqual(['--ro-bind', '/r', '/']);
    expect(joined).toContain('--bind /r/var/lib/reconcile/scratch/g.1 /etc/out');
    expect(joined).toContain('--ro-bind /src /opt/src');
    expect(joined).toMatch(/--unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try/);
    expect(joined).toContain('--clearenv');
    expect(args.slice(-4)).toEqual(['--cap-drop', 'ALL', '--', 'gen']);
    // Never a writable bind of anything but the scratch dir.
    expect(args.filter((a) => a === '--bind' || a === '--dev-bind')).toEqual(['--bind']);
  });

  it('as another user: setpriv of the root drops to it with no groups and no new privileges', () => {
    const args = bwrapArgs({ argv: ['gen'], output: { dir: '/s', at: '/o' }, uid: 1001, gid: 1002, timeoutMs: 1000 }, { root: '/', output: '/s' });
    expect(args.slice(args.indexOf('--'))).toEqual(['--', 'setpriv', '--reuid', '1001', '--regid', '1002', '--clear-groups', '--no-new-privs', '--', 'gen']);
  });

  it('a missing mount point is made in a tmpfs over its parent, whose entries are bound back read-only and links re-made, not followed', () => {
    const args = bwrapArgs({ argv: ['gen'], output: { dir: '/s', at: '/o' }, readOnly: [{ from: '/src', at: '/opt/src' }], timeoutMs: 1000 }, { root: '/r', output: '/r/s' }, [
      { dir: '/opt', entries: [{ name: 'tool' }, { name: 'current', symlink: '/etc/shadow' }] },
    ]);
    expect(args.join(' ')).toContain('--ro-bind /r / --perms 0755 --tmpfs /opt --ro-bind /r/opt/tool /opt/tool --symlink /etc/shadow /opt/current');
  });
});
