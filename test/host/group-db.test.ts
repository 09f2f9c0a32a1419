import { afterEach, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import { changeGroupMembers, editMembers, parseGroupLine, readGroup } from '../../src/host/group-db.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { liveView, result } from '../helpers/live-view.js';
import { file, makeRoot, symlink, type TempRoot, type Tree } from '../helpers/temp-root.js';

const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\n' +
  'alice:x:1000:1000::/home/alice:/bin/sh\n' +
  'bob:x:1001:1001::/home/bob:/bin/sh\n' +
  'carol:x:1002:1002::/home/carol:/bin/sh\n';
const SHADOW = 'root:*:19000:0:99999:7:::\nalice:!:19000::::::\nbob:!:19000::::::\ncarol:!:19000::::::\n';
const GROUP =
  'root:x:0:\nshadow:x:42:\nvideo:x:44:carol\ndocker:x:999:alice,bob\nalice:x:1000:\nbob:x:1001:\ncarol:x:1002:\n';
const GSHADOW =
  'root:*::\nshadow:*::\nvideo:*::carol\ndocker:!:alice:alice,bob\nalice:!::\nbob:!::\ncarol:!::\n';

function tree(overrides: Tree = {}): Tree {
  return {
    'etc/passwd': PASSWD,
    'etc/shadow': file(SHADOW, { mode: 0o640, gid: 42 }),
    'etc/group': GROUP,
    'etc/gshadow': file(GSHADOW, { mode: 0o640, gid: 42 }),
    ...overrides,
  };
}

const roots: TempRoot[] = [];
async function twin(overrides: Tree = {}): Promise<[TempRoot, TempRoot]> {
  const a = await makeRoot(tree(overrides));
  const b = await makeRoot(tree(overrides));
  roots.push(a, b);
  return [a, b];
}
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => r.cleanup()));
});

async function bytes(root: TempRoot, p: string): Promise<string> {
  return fs.readFile(root.path(p), 'utf8');
}

async function grpckClean(root: TempRoot): Promise<void> {
  const res = await execa('grpck', ['-r', '-R', root.dir], { reject: false });
  expect(`${res.exitCode} ${res.stdout}${res.stderr}`).toBe('0 ');
}

/** Runs gpasswd -Q on `a` and changeGroupMembers on `b`; both must leave identical bytes. */
async function sameAsGpasswd(a: TempRoot, b: TempRoot, flag: '-a' | '-d', user: string, group: string) {
  const res = await execa('gpasswd', ['-Q', a.dir, flag, user, group], { reject: false });
  expect(res.stderr).toBe('');
  expect(res.exitCode).toBe(0);
  await changeGroupMembers(new RootedHost(b.dir), group, flag === '-a' ? [user] : [], flag === '-d' ? [user] : []);
  expect(await bytes(b, '/etc/group')).toBe(await bytes(a, '/etc/group'));
  expect(await bytes(b, '/etc/gshadow')).toBe(await bytes(a, '/etc/gshadow'));
}

describe('readGroup', () => {
  it('reads a group from the root\'s etc/group', async () => {
    const [a] = await twin();
    const host = new RootedHost(a.dir);
    expect(await readGroup(host, 'docker')).toEqual({ name: 'docker', gid: 999, members: ['alice', 'bob'] });
    expect(await readGroup(host, 'alice')).toEqual({ name: 'alice', gid: 1000, members: [] });
    expect(await readGroup(host, 'nosuch')).toBeNull();
  });

  it('asks getent on a live host, so directory members count', async () => {
    const [a] = await twin();
    const host = liveView(new RootedHost(a.dir), (_c, args) =>
      args[1] === 'docker' ? result(0, 'docker:x:999:alice,h.baker@hertie-school.lan\n') : result(2),
    );
    expect(await readGroup(host, 'docker')).toEqual({
      name: 'docker',
      gid: 999,
      members: ['alice', 'h.baker@hertie-school.lan'],
    });
    expect(await readGroup(host, 'nosuch')).toBeNull();
    expect(host.calls).toEqual([
      ['getent', 'group', 'docker'],
      ['getent', 'group', 'nosuch'],
    ]);
  });

  it('parses lines strictly', () => {
    expect(parseGroupLine('video:x:44:a,b')).toEqual({ name: 'video', gid: 44, members: ['a', 'b'] });
    expect(parseGroupLine('# video:x:44:')).toBeNull();
    expect(parseGroupLine('video:x:44')).toBeNull();
  });
});

describe('editMembers', () => {
  it('appends new members in order, drops removed ones, never duplicates', () => {
    expect(editMembers(['c', 'a'], ['b', 'a', 'b'], [])).toEqual(['c', 'a', 'b']);
    expect(editMembers(['c', 'a', 'b'], [], ['a', 'zz'])).toEqual(['c', 'b']);
  });
});

describe('changeGroupMembers under --root: the same bytes as gpasswd -Q', () => {
  it('adds a member to a group with members', async () => {
    const [a, b] = await twin();
    await sameAsGpasswd(a, b, '-a', 'alice', 'video');
    expect(await bytes(b, '/etc/group')).toContain('\nvideo:x:44:carol,alice\n');
    await grpckClean(b);
  });

  it('adds a member to an empty group, then another', async () => {
    const [a, b] = await twin();
    await sameAsGpasswd(a, b, '-a', 'bob', 'alice');
    await sameAsGpasswd(a, b, '-a', 'carol', 'alice');
    await grpckClean(b);
  });

  it('adds a member already in group but not in gshadow (gshadow only changes)', async () => {
    const [a, b] = await twin({ 'etc/gshadow': file(GSHADOW.replace('video:*::carol', 'video:*::'), { mode: 0o640, gid: 42 }) });
    await sameAsGpasswd(a, b, '-a', 'carol', 'video');
    await grpckClean(b);
  });

  it('removes a member', async () => {
    const [a, b] = await twin();
    await sameAsGpasswd(a, b, '-d', 'alice', 'docker');
    expect(await bytes(b, '/etc/gshadow')).toContain('\ndocker:!:alice:bob\n');
    await grpckClean(b);
  });

  it('adds the group to gshadow when it is missing there, as gpasswd does', async () => {
    const [a, b] = await twin({
      'etc/gshadow': file(GSHADOW.replace('video:*::carol\n', ''), { mode: 0o640, gid: 42 }),
    });
    await sameAsGpasswd(a, b, '-a', 'bob', 'video');
    expect((await bytes(b, '/etc/gshadow')).endsWith('\nvideo:x::carol,bob\n')).toBe(true);
    await grpckClean(b);
  });

  it('leaves a root without gshadow without one', async () => {
    const t = tree();
    delete t['etc/gshadow'];
    const b = await makeRoot(t);
    roots.push(b);
    await changeGroupMembers(new RootedHost(b.dir), 'video', ['alice'], []);
    expect(await bytes(b, '/etc/group')).toBe(GROUP.replace('video:x:44:carol', 'video:x:44:carol,alice'));
    await expect(fs.lstat(b.path('/etc/gshadow'))).rejects.toThrow(/ENOENT/);
  });

  it('keeps mode and ownership of both files', async () => {
    const [, b] = await twin({
      'etc/group': file(GROUP, { mode: 0o644, uid: 0, gid: 0 }),
      'etc/gshadow': file(GSHADOW, { mode: 0o640, uid: 0, gid: 42 }),
    });
    await changeGroupMembers(new RootedHost(b.dir), 'video', ['alice'], ['carol']);
    const g = await fs.stat(b.path('/etc/group'));
    const s = await fs.stat(b.path('/etc/gshadow'));
    expect([g.mode & 0o7777, g.uid, g.gid]).toEqual([0o644, 0, 0]);
    expect([s.mode & 0o7777, s.uid, s.gid]).toEqual([0o640, 0, 42]);
  });

  it('adds directory-only members, which gpasswd -Q refuses', async () => {
    const [a, b] = await twin();
    const refused = await execa('gpasswd', ['-Q', a.dir, '-a', 'h.baker@hertie-school.lan', 'video'], { reject: false });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/does not exist/);

    await changeGroupMembers(new RootedHost(b.dir), 'video', ['h.baker@hertie-school.lan', 'j.doe'], []);
    expect(await bytes(b, '/etc/group')).toBe(
      GROUP.replace('video:x:44:carol', 'video:x:44:carol,h.baker@hertie-school.lan,j.doe'),
    );
    expect(await bytes(b, '/etc/gshadow')).toBe(
      GSHADOW.replace('video:*::carol', 'video:*::carol,h.baker@hertie-school.lan,j.doe'),
    );
  });

  it('keeps every other line byte for byte: comments, odd lines, no final newline', async () => {
    const group = '# managed elsewhere\nroot:x:0:\nvideo:x:44:\n\nweird line kept\ndocker:x:999:alice';
    const gshadow = 'root:*::\nvideo:*::\ndocker:!::alice';
    const b = await makeRoot(tree({ 'etc/group': group, 'etc/gshadow': file(gshadow, { mode: 0o640 }) }));
    roots.push(b);
    await changeGroupMembers(new RootedHost(b.dir), 'video', ['bob', 'alice'], []);
    expect(await bytes(b, '/etc/group')).toBe(group.replace('video:x:44:', 'video:x:44:bob,alice'));
    expect(await bytes(b, '/etc/gshadow')).toBe(gshadow.replace('video:*::', 'video:*::bob,alice'));
    // The last line itself changes and still has no newline after it.
    await changeGroupMembers(new RootedHost(b.dir), 'docker', ['bob'], []);
    expect((await bytes(b, '/etc/group')).endsWith('\ndocker:x:999:alice,bob')).toBe(true);
  });

  it('does not rewrite files when nothing changes', async () => {
    const [, b] = await twin();
    const before = await fs.stat(b.path('/etc/group'));
    await changeGroupMembers(new RootedHost(b.dir), 'docker', ['alice'], ['carol']);
    const after = await fs.stat(b.path('/etc/group'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('fails clearly for a missing group and changes nothing', async () => {
    const [, b] = await twin();
    await expect(changeGroupMembers(new RootedHost(b.dir), 'nosuch', ['alice'], [])).rejects.toThrow(
      /group nosuch does not exist in .*'s \/etc\/group: create it \(groupadd nosuch\)/,
    );
    expect(await bytes(b, '/etc/group')).toBe(GROUP);
    expect(await bytes(b, '/etc/gshadow')).toBe(GSHADOW);
  });

  it('refuses to rewrite a symlinked etc/group', async () => {
    const b = await makeRoot(tree({ 'etc/group': symlink('group.real'), 'etc/group.real': GROUP }));
    roots.push(b);
    await expect(changeGroupMembers(new RootedHost(b.dir), 'video', ['alice'], [])).rejects.toThrow(/symlink/);
    expect(await fs.readlink(b.path('/etc/group'))).toBe('group.real');
  });

  it('refuses a malformed line for the group', async () => {
    const b = await makeRoot(tree({ 'etc/group': 'video:x:44\n' }));
    roots.push(b);
    await expect(changeGroupMembers(new RootedHost(b.dir), 'video', ['alice'], [])).rejects.toThrow(
      /has 3 fields, expected 4/,
    );
  });
});

describe('damaged group files are refused, never written back', () => {
  it('CRLF line endings: readGroup and changeGroupMembers name the file and line and say dos2unix', async () => {
    const crlf = (t: string) => t.replace(/\n/g, '\r\n');
    const b = await makeRoot(tree({ 'etc/group': crlf(GROUP), 'etc/gshadow': file(crlf(GSHADOW), { mode: 0o640, gid: 42 }) }));
    roots.push(b);
    const host = new RootedHost(b.dir);
    await expect(readGroup(host, 'docker')).rejects.toThrow(/the root's \/etc\/group line 1 holds a carriage return .*dos2unix \/etc\/group/);
    await expect(changeGroupMembers(host, 'video', ['alice'], [])).rejects.toThrow(/\/etc\/group line 1 holds a carriage return/);
    expect(await bytes(b, '/etc/group')).toBe(crlf(GROUP));
    expect(await bytes(b, '/etc/gshadow')).toBe(crlf(GSHADOW));
  });

  it('a CR only in gshadow stops the change before either file is written', async () => {
    const gshadow = GSHADOW.replace('video:*::carol', 'video:*::carol\r');
    const b = await makeRoot(tree({ 'etc/gshadow': file(gshadow, { mode: 0o640, gid: 42 }) }));
    roots.push(b);
    await expect(changeGroupMembers(new RootedHost(b.dir), 'video', ['alice'], [])).rejects.toThrow(
      /\/etc\/gshadow line 3 holds a carriage return.*grpck -r/,
    );
    expect(await bytes(b, '/etc/group')).toBe(GROUP);
    expect(await bytes(b, '/etc/gshadow')).toBe(gshadow);
  });

  it('a member that is not a valid name is refused with the file, line and grpck', async () => {
    const group = GROUP.replace('docker:x:999:alice,bob', 'docker:x:999:alice,bo b');
    const b = await makeRoot(tree({ 'etc/group': group }));
    roots.push(b);
    const host = new RootedHost(b.dir);
    await expect(readGroup(host, 'docker')).rejects.toThrow(
      /\/etc\/group line 4 \(group docker\) has member that is not a valid user name: "bo b".*grpck -r/,
    );
    await expect(changeGroupMembers(host, 'docker', ['carol'], [])).rejects.toThrow(/line 4 \(group docker\)/);
    expect(await bytes(b, '/etc/group')).toBe(group);
    // Other groups still read: the damage is in docker's line only.
    expect((await readGroup(host, 'video'))?.members).toEqual(['carol']);
  });
});

describe('changeGroupMembers on a live host', () => {
  it('runs gpasswd once per user, which resolves directory users through NSS', async () => {
    const [a] = await twin();
    const host = liveView(new RootedHost(a.dir), () => result(0));
    await changeGroupMembers(host, 'video', ['h.baker@hertie-school.lan', 'alice'], ['carol']);
    expect(host.calls).toEqual([
      ['gpasswd', '-a', 'h.baker@hertie-school.lan', 'video'],
      ['gpasswd', '-a', 'alice', 'video'],
      ['gpasswd', '-d', 'carol', 'video'],
    ]);
    // Files are left to gpasswd.
    expect(await bytes(a, '/etc/group')).toBe(GROUP);
  });

  it('reports a gpasswd failure with its message', async () => {
    const [a] = await twin();
    const host = liveView(new RootedHost(a.dir), () => result(3, '', "gpasswd: user 'x' does not exist\n"));
    await expect(changeGroupMembers(host, 'video', ['x'], [])).rejects.toThrow(
      /gpasswd -a x video failed \(exit 3\): gpasswd: user 'x' does not exist/,
    );
  });

  it('still adds the other users when gpasswd refuses one that no longer exists', async () => {
    const [a] = await twin();
    const host = liveView(new RootedHost(a.dir), (_c, args) =>
      args[1] === 'gone' ? result(3, '', "gpasswd: user 'gone' does not exist\n") : result(0),
    );
    await expect(changeGroupMembers(host, 'video', ['alice', 'gone', 'bob'], [])).rejects.toThrow(/user 'gone' does not exist/);
    expect(host.calls.map((c) => c[2])).toEqual(['alice', 'gone', 'bob']);
  });
});
