import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { RootedHost } from '../../../src/host/rooted-host.js';
import type { FileResource } from '../../../src/kinds/file/types.js';
import { fileHandler } from '../../../src/kinds/file/file.js';
import { applyOperation } from '../../helpers/apply-op.js';
import { testSource } from '../../helpers/resources.js';
import { dir, file, makeRoot, symlink, type TempRoot, type Tree } from '../../helpers/temp-root.js';

const ACCOUNTS: Tree = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/sh\n',
  'etc/group': 'root:x:0:\nadm:x:4:\n',
};

function resource(overrides: Partial<FileResource> = {}): FileResource {
  return { kind: 'file', id: 'motd', source: testSource, path: '/etc/motd', state: 'present', content: 'hello\n', ...overrides };
}

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function plan(tree: Tree, res = resource()) {
  root ??= await makeRoot({ ...ACCOUNTS, ...tree });
  const host = new RootedHost(root.dir);
  return { host, result: fileHandler.diff(res, await fileHandler.probe(host, res)) };
}

describe('file handler', () => {
  it('plans nothing when content, mode and owner match', async () => {
    const { result } = await plan({ 'etc/motd': file('hello\n', { mode: 0o644 }) }, resource({ mode: 0o644, owner: 'root', group: 'root' }));
    expect(result.changes).toEqual([]);
    expect(result.unchanged).toEqual([{ resource: 'motd', kind: 'file', target: '/etc/motd' }]);
  });

  it('plans a create with the full content, then apply converges', async () => {
    const res = resource({ mode: 0o640, group: 'adm' });
    const { host, result } = await plan({}, res);
    expect(result.changes).toHaveLength(1);
    const change = result.changes[0]!;
    expect(change).toMatchObject({ action: 'create', target: '/etc/motd', content: { before: null, after: 'hello\n' } });
    expect(change.op).toMatchObject({ type: 'write-file', mode: 0o640, uid: 0, gid: 4 });
    await applyOperation(host, change);
    expect(await host.readText('/etc/motd')).toBe('hello\n');
    expect((await host.lstat('/etc/motd'))?.gid).toBe(4);
    const again = fileHandler.diff(res, await fileHandler.probe(host, res));
    expect(again.changes).toEqual([]);
  });

  it('plans a content update with both sides for the diff, keeping an unmanaged mode', async () => {
    const { host, result } = await plan({ 'etc/motd': file('old\n', { mode: 0o600 }) });
    expect(result.changes[0]).toMatchObject({ action: 'update', content: { before: 'old\n', after: 'hello\n' } });
    expect(result.changes[0]!.op).toMatchObject({ type: 'write-file', mode: 0o600 });
    await applyOperation(host, result.changes[0]!);
    expect((await host.lstat('/etc/motd'))?.mode).toBe(0o600);
  });

  it('plans attributes alone when only the mode or owner drifted', async () => {
    const res = resource({ mode: 0o644, owner: 'alice' });
    const { host, result } = await plan({ 'etc/motd': file('hello\n', { mode: 0o666 }) }, res);
    const change = result.changes[0]!;
    expect(change.op).toEqual({ type: 'set-attributes', mode: 0o644, uid: 1001, gid: 0 });
    expect(change.attributes).toEqual({ mode: { before: '0666', after: '0644' }, owner: { before: 'root', after: 'alice' } });
    expect(change.content).toBeUndefined();
    await applyOperation(host, change);
    expect(fileHandler.diff(res, await fileHandler.probe(host, res)).changes).toEqual([]);
  });

  it('changes mode and owner in place: the inode survives', async () => {
    const res = resource({ mode: 0o644, owner: 'alice' });
    const { host } = await plan({ 'etc/motd': file('hello\n', { mode: 0o600 }) }, res);
    const before = await fs.lstat(root!.path('/etc/motd'));
    const change = fileHandler.diff(res, await fileHandler.probe(host, res)).changes[0]!;
    await applyOperation(host, change);
    const after = await fs.lstat(root!.path('/etc/motd'));
    expect([after.ino, after.mode & 0o7777, after.uid]).toEqual([before.ino, 0o644, 1001]);
  });

  it('refuses an in-place change of a file with another hard link (issue 9): it would reach that name too', async () => {
    const res = resource({ mode: 0o644, owner: 'alice' });
    const { host } = await plan({ 'etc/motd': file('hello\n', { mode: 0o600 }) }, res);
    await fs.link(root!.path('/etc/motd'), root!.path('/etc/motd.link'));
    const change = fileHandler.diff(res, await fileHandler.probe(host, res)).changes[0]!;
    await expect(applyOperation(host, change)).rejects.toThrow(/2 hard links/);
    const after = await fs.lstat(root!.path('/etc/motd.link'));
    expect([after.mode & 0o7777, after.uid]).toEqual([0o600, 0]);
  });

  it('resolves names in the target root, not on this machine', async () => {
    const { result } = await plan({}, resource({ owner: 'no-such-user-here' }));
    expect(result.errors[0]?.message).toContain('owner "no-such-user-here" does not exist');
  });

  it('refuses to write through a symlink or over a directory', async () => {
    const link = await plan({ 'etc/motd': symlink('/etc/passwd') });
    expect(link.result.errors[0]?.message).toContain('is a symlink to /etc/passwd');
    await root!.cleanup();
    root = undefined;
    const directory = await plan({ 'etc/motd': dir() });
    expect(directory.result.errors[0]?.message).toContain('is a directory');
  });

  it('state absent deletes a file and backs it up; a missing one is unchanged', async () => {
    const res = resource({ state: 'absent', content: undefined });
    const { host, result } = await plan({ 'etc/motd': file('bye\n') }, res);
    expect(result.changes[0]).toMatchObject({ action: 'delete', op: { type: 'remove', recursive: false } });
    await applyOperation(host, result.changes[0]!, '/var/lib/reconcile/backups/r1');
    expect(await host.lstat('/etc/motd')).toBeNull();
    expect(await host.readText('/var/lib/reconcile/backups/r1/etc/motd')).toBe('bye\n');
    const again = fileHandler.diff(res, await fileHandler.probe(host, res));
    expect(again.changes).toEqual([]);
    expect(again.unchanged).toHaveLength(1);
  });
});
