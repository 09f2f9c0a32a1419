import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { RootedHost } from '../../../src/host/rooted-host.js';
import type { AbsentResource } from '../../../src/kinds/absent/types.js';
import { absentHandler } from '../../../src/kinds/absent/absent.js';
import { applyOperation } from '../../helpers/apply-op.js';
import { testSource } from '../../helpers/resources.js';
import { dir, file, makeRoot, symlink, type TempRoot, type Tree } from '../../helpers/temp-root.js';

const WRAPPER = '#!/bin/bash\n# DS01 NVIDIA Command Wrapper\necho "Bare Metal GPU Access Restricted" >&2\nexit 1\n';
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64, 1)]);

function wrappers(overrides: Partial<AbsentResource> = {}): AbsentResource {
  return {
    kind: 'absent',
    id: 'nvidia-smi-wrappers',
    source: testSource,
    paths: ['/usr/local/bin/nvidia-*'],
    allowDirectories: false,
    onlyIf: { linkTargetMatches: 'nvidia-wrapper', contentMatches: 'Bare Metal GPU Access Restricted' },
    ...overrides,
  };
}

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function plan(tree: Tree, res: AbsentResource) {
  root = await makeRoot(tree);
  const host = new RootedHost(root.dir);
  return { host, result: absentHandler.diff(res, await absentHandler.probe(host, res)) };
}

describe('absent handler', () => {
  it('plans nothing when nothing matches', async () => {
    const { result } = await plan({ 'usr/local/bin/other': 'x' }, wrappers());
    expect(result.changes).toEqual([]);
    expect(result.unchanged).toEqual([{ resource: 'nvidia-smi-wrappers', kind: 'absent', target: '/usr/local/bin/nvidia-*' }]);
  });

  it('deletes wrapper links and copies, keeps real binaries, and converges', async () => {
    const res = wrappers();
    const { host, result } = await plan(
      {
        'opt/ds01-infra/scripts/admin/nvidia-wrapper.sh': file(WRAPPER, { mode: 0o755 }),
        'usr/local/bin/nvidia-smi': symlink('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh'),
        'usr/local/bin/nvidia-debugdump': file(WRAPPER, { mode: 0o755 }),
        'usr/local/bin/nvidia-ctk': file(ELF, { mode: 0o755 }),
        'usr/local/bin/nvidia-other': symlink('/usr/bin/true'),
      },
      res,
    );
    expect(result.changes.map((c) => [c.target, c.action])).toEqual([
      ['/usr/local/bin/nvidia-debugdump', 'delete'],
      ['/usr/local/bin/nvidia-smi', 'delete'],
    ]);
    expect(result.notes.map((n) => n.target)).toEqual(['/usr/local/bin/nvidia-ctk', '/usr/local/bin/nvidia-other']);
    for (const c of result.changes) await applyOperation(host, c);
    expect(await host.lstat('/usr/local/bin/nvidia-smi')).toBeNull();
    // The link went, not its target.
    expect(await host.readText('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh')).toBe(WRAPPER);
    expect(await host.lstat('/usr/local/bin/nvidia-ctk')).not.toBeNull();
    const again = absentHandler.diff(res, await absentHandler.probe(host, res));
    expect(again.changes).toEqual([]);
  });

  it('a symlink is recognised by its target file content when only contentMatches is given', async () => {
    const res = wrappers({ onlyIf: { contentMatches: 'Bare Metal GPU Access Restricted' } });
    const { result } = await plan(
      { 'opt/w.sh': WRAPPER, 'usr/local/bin/nvidia-smi': symlink('../../../opt/w.sh') },
      res,
    );
    expect(result.changes.map((c) => c.target)).toEqual(['/usr/local/bin/nvidia-smi']);
  });

  it('leaves directories unless allowDirectories, then removes them recursively', async () => {
    const tree = { 'var/lib/old/cache/a': 'a', 'var/lib/old/cache/b': 'b' };
    const kept = await plan(tree, wrappers({ paths: ['/var/lib/old/cache'], onlyIf: undefined }));
    expect(kept.result.changes).toEqual([]);
    expect(kept.result.notes[0]?.message).toContain('allowDirectories');
    await root!.cleanup();
    const res = wrappers({ paths: ['/var/lib/old/cache'], onlyIf: undefined, allowDirectories: true });
    const { host, result } = await plan(tree, res);
    expect(result.changes[0]).toMatchObject({ action: 'delete', op: { type: 'remove', recursive: true } });
    await applyOperation(host, result.changes[0]!, '/var/lib/reconcile/backups/r');
    expect(await host.lstat('/var/lib/old/cache')).toBeNull();
    expect(await host.readText('/var/lib/reconcile/backups/r/var/lib/old/cache/b')).toBe('b');
  });

  it('deletes plain paths without a guard and backs up their bytes and metadata', async () => {
    const res = wrappers({ paths: ['/etc/modprobe.d/nvidia-permissions.conf'], onlyIf: undefined });
    const conf = 'options nvidia NVreg_DeviceFileGID=44 NVreg_DeviceFileMode=432\n';
    const { host, result } = await plan({ 'etc/modprobe.d/nvidia-permissions.conf': file(conf, { mode: 0o640 }) }, res);
    expect(result.changes[0]).toMatchObject({ content: { before: conf, after: null } });
    await applyOperation(host, result.changes[0]!, '/var/lib/reconcile/backups/r');
    const meta = JSON.parse((await host.readText('/var/lib/reconcile/backups/r/etc/modprobe.d/nvidia-permissions.conf.meta.json'))!);
    expect(meta).toMatchObject({ path: '/etc/modprobe.d/nvidia-permissions.conf', type: 'file', mode: 0o640, uid: 0, gid: 0 });
    expect(await fs.readFile(root!.path('/var/lib/reconcile/backups/r/etc/modprobe.d/nvidia-permissions.conf'), 'utf8')).toBe(conf);
  });

  it('lists a directory entry only once when two patterns match it', async () => {
    const res = wrappers({ paths: ['/tmp/x*', '/tmp/xy'], onlyIf: undefined });
    const { result } = await plan({ 'tmp/xy': 'x' }, res);
    expect(result.changes.map((c) => c.target)).toEqual(['/tmp/xy']);
  });

  it('never leaves the root through a symlinked parent', async () => {
    const res = wrappers({ paths: ['/usr/local/bin/nvidia-*'], onlyIf: undefined });
    const outside = await makeRoot({ 'nvidia-smi': 'outside' });
    try {
      root = await makeRoot({ 'usr/local': dir() });
      await fs.symlink(`../../../../../../../../..${outside.dir}`, root.path('/usr/local/bin'));
      const host = new RootedHost(root.dir);
      // The refusal is an error of that pattern alone (the resource's other paths are still planned).
      const result = absentHandler.diff(res, await absentHandler.probe(host, res));
      expect(result.changes).toEqual([]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatchObject({ target: '/usr/local/bin/nvidia-*', message: expect.stringMatching(/outside the root/) });
      expect(await fs.readFile(outside.path('/nvidia-smi'), 'utf8')).toBe('outside');
    } finally {
      await outside.cleanup();
    }
  });
});
