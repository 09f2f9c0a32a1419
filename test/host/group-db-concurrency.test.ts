// Issue 9, section 4: editing the root's group database while the shadow
// tools work on it. groupadd appends a line between our read and our rename;
// before the lock and the re-check, every such line was lost. And a damaged
// line for the group (a gid that is not a number) is refused, naming file and
// line, instead of reading one line and editing another.

import { afterEach, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import { changeGroupMembers, readGroup } from '../../src/host/group-db.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { file, makeRoot, type TempRoot } from '../helpers/temp-root.js';

let root: TempRoot;
afterEach(async () => {
  await root?.cleanup();
});

const GROUP = 'root:x:0:\nshadow:x:42:\nvideo:x:44:\n';
const GSHADOW = 'root:*::\nshadow:*::\nvideo:*::\n';

describe('the shadow tools lock', () => {
  it('groupadd running alongside member edits loses no group and no member (20 + 20 concurrent edits)', async () => {
    root = await makeRoot({ 'etc/group': GROUP, 'etc/gshadow': file(GSHADOW, { mode: 0o640, gid: 42 }), 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
    const host = new RootedHost(root.dir);
    const added: string[] = [];
    const groupadds = (async () => {
      for (let i = 0; i < 20; i++) {
        const res = await execa('groupadd', ['-P', root.dir, '-g', String(2000 + i), `team${i}`], { reject: false });
        expect(`${res.exitCode} ${res.stderr}`).toBe('0 ');
      }
    })();
    const edits = (async () => {
      for (let i = 0; i < 20; i++) {
        const user = `user${i}`;
        await changeGroupMembers(host, 'video', [user], []);
        added.push(user);
      }
    })();
    await Promise.all([groupadds, edits]);
    const group = await fs.readFile(root.path('/etc/group'), 'utf8');
    const gshadow = await fs.readFile(root.path('/etc/gshadow'), 'utf8');
    for (let i = 0; i < 20; i++) {
      expect(group).toContain(`team${i}:x:${2000 + i}:`);
      expect(gshadow).toContain(`team${i}:`);
    }
    expect((await readGroup(host, 'video'))?.members).toEqual(added);
    // No lock is left behind.
    expect((await fs.readdir(root.path('/etc'))).filter((n) => n.endsWith('.lock') && n !== '.pwd.lock')).toEqual([]);
  });

  it('waits for a lock held by a live process and takes over one whose process is gone', async () => {
    root = await makeRoot({ 'etc/group': GROUP, 'etc/gshadow': file(GSHADOW, { mode: 0o640, gid: 42 }) });
    const host = new RootedHost(root.dir);
    // A pid that does not exist: a crashed tool's stale lock.
    await fs.writeFile(root.path('/etc/group.lock'), '999999999');
    await changeGroupMembers(host, 'video', ['alice'], []);
    expect(await fs.readFile(root.path('/etc/group'), 'utf8')).toContain('video:x:44:alice');
    expect(await fs.readdir(root.path('/etc'))).not.toContain('group.lock');
  });
});

describe('a damaged line for the group', () => {
  it('a first video line with a non-numeric gid is refused by read and edit, naming file and line; nothing is written', async () => {
    const bad = 'root:x:0:\nvideo:x:4x:\nvideo:x:44:\n';
    root = await makeRoot({ 'etc/group': bad, 'etc/gshadow': file(GSHADOW, { mode: 0o640, gid: 42 }) });
    const host = new RootedHost(root.dir);
    await expect(readGroup(host, 'video')).rejects.toThrow(/\/etc\/group line 2 \(group video\) does not parse: its gid "4x" is not a number/);
    await expect(changeGroupMembers(host, 'video', ['alice'], [])).rejects.toThrow(/\/etc\/group line 2 \(group video\)/);
    expect(await fs.readFile(root.path('/etc/group'), 'utf8')).toBe(bad);
    expect(await fs.readFile(root.path('/etc/gshadow'), 'utf8')).toBe(GSHADOW);
  });
});

describe("lckpwdf's /etc/.pwd.lock", () => {
  it('an edit waits while another process holds the fcntl lock on /etc/.pwd.lock, and goes ahead once it is released', async () => {
    root = await makeRoot({ 'etc/group': GROUP, 'etc/gshadow': file(GSHADOW, { mode: 0o640, gid: 42 }), 'etc/.pwd.lock': file('', { mode: 0o600 }) });
    const host = new RootedHost(root.dir);
    // Another tool's lckpwdf: python's fcntl.lockf is F_SETLKW on the whole file, as lckpwdf does.
    const holder = execa('python3', ['-c', 'import fcntl,sys; f=open(sys.argv[1],"w"); fcntl.lockf(f, fcntl.LOCK_EX); print("held", flush=True); sys.stdin.read()', root.path('/etc/.pwd.lock')], {
      stdin: 'pipe',
      reject: false,
    });
    await new Promise((r) => holder.stdout!.once('data', r));
    let done = false;
    const edit = changeGroupMembers(host, 'video', ['alice'], []).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 500));
    // Still waiting: nothing written while the other holds the lock.
    expect(done).toBe(false);
    expect(await fs.readFile(root.path('/etc/group'), 'utf8')).toBe(GROUP);
    holder.stdin!.end();
    await holder;
    await edit;
    expect(await fs.readFile(root.path('/etc/group'), 'utf8')).toContain('video:x:44:alice');
  });
});
