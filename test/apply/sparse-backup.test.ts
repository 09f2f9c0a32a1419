// A 600 MB sparse file in a removed tree: its backup is streamed and keeps
// its holes (it used to become a 601 MB dense copy read whole into memory),
// is byte-identical, and a rollback puts it back sparse and identical too.
// Peak memory is measured in bench/backup-sparse.ts, not here.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { captureOutput } from '../safety/snapshot.js';

const SIZE = 600 * 1024 * 1024;
const MiB = 1024 * 1024;

let root: TempRoot;
beforeEach(async () => {
  root = await makeRoot({ 'var/cache/big/notes.txt': 'keep me\n', 'var/lib': { type: 'dir' } });
});
afterEach(async () => {
  await root.cleanup();
});

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Allocated bytes on disk (st_blocks is in 512-byte units). */
async function allocated(file: string): Promise<number> {
  return (await fs.stat(file)).blocks * 512;
}

/** A 600 MB file that is mostly hole, with data at the start, in the middle and at the very end. */
async function makeSparse(file: string): Promise<void> {
  const handle = await fs.open(file, 'w', 0o640);
  try {
    await handle.truncate(SIZE);
    await handle.write(Buffer.from('header\n'), 0, 7, 0);
    await handle.write(Buffer.alloc(8192, 0xab), 0, 8192, 300 * MiB + 123);
    await handle.write(Buffer.from('tail'), 0, 4, SIZE - 4);
  } finally {
    await handle.close();
  }
}

async function cli(args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('backups of a large sparse file', () => {
  it('stay sparse and byte-identical through apply (absent tree) and rollback', async () => {
    const data = root.path('/var/cache/big/data.img');
    await makeSparse(data);
    const want = await sha256File(data);
    expect(await allocated(data)).toBeLessThan(MiB);

    const desired = path.join(root.dir, '..', `${path.basename(root.dir)}-desired.yaml`);
    await fs.writeFile(
      desired,
      'version: 1\nresources:\n  - id: big\n    kind: absent\n    paths: [/var/cache/big]\n    allowDirectories: true\n',
    );
    try {
      const a = await cli(['--apply', '--desired', desired, '--root', root.dir, '--format', 'json']);
      expect(a.stderr).toBe('');
      expect(a.code).toBe(0);
      const result = JSON.parse(a.stdout) as { runId: string; backupBytes: number };
      await expect(fs.lstat(data)).rejects.toThrow();

      const copy = root.path(`/var/lib/reconcile/backups/${result.runId}/var/cache/big/data.img`);
      const st = await fs.stat(copy);
      expect(st.size).toBe(SIZE);
      expect(st.mode & 0o7777).toBe(0o600);
      // Holes kept: a few blocks of data, not 600 MB.
      expect(await allocated(copy)).toBeLessThan(MiB);
      expect(await sha256File(copy)).toBe(want);
      expect(result.backupBytes).toBe(SIZE + 'keep me\n'.length);

      const r = await cli(['--rollback', '--root', root.dir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const back = await fs.stat(data);
      expect(back.size).toBe(SIZE);
      expect(back.mode & 0o7777).toBe(0o640);
      expect(await allocated(data)).toBeLessThan(MiB);
      expect(await sha256File(data)).toBe(want);
      expect(await fs.readFile(root.path('/var/cache/big/notes.txt'), 'utf8')).toBe('keep me\n');
    } finally {
      await fs.rm(desired, { force: true });
    }
    // Reads 600 MB several times on a shared machine: a generous safety net, not a speed check.
  }, 1_800_000);
});

describe('a large file rolled back through restore-file', () => {
  it('comes back with its bytes, mode, owner and extended attributes (a POSIX ACL, user.*), streamed from its copy', async () => {
    const file = root.path('/var/cache/big/model.bin');
    const bytes = Buffer.concat([Buffer.alloc(2 * MiB, 0x5a), Buffer.from('end\n')]);
    await fs.writeFile(file, bytes, { mode: 0o640 });
    await fs.chmod(file, 0o640);
    execFileSync('setfacl', ['-m', 'u:1001:rw', file]);
    execFileSync('setfattr', ['-n', 'user.note', '-v', 'keep', file]);
    const mode = (await fs.stat(file)).mode & 0o7777;
    const acl = execFileSync('getfacl', ['--omit-header', '--absolute-names', file], { encoding: 'utf8' });
    const desired = `${root.dir}-desired.yaml`;
    await fs.writeFile(desired, 'version: 1\nresources:\n  - {id: big, kind: absent, paths: [/var/cache/big], allowDirectories: true}\n');
    try {
      expect((await cli(['--apply', '--desired', desired, '--root', root.dir])).code).toBe(0);
      await expect(fs.lstat(file)).rejects.toThrow();
      const plan = await cli(['--rollback', '--root', root.dir]);
      expect(plan.stderr).toBe('');
      expect(plan.code).toBe(0);
      // Over 1 MiB: the rollback streams it from the copy instead of carrying it inline.
      expect(plan.stdout).toMatch(/put back \/var\/cache\/big\/model.bin as before run \S+ \(\S+ 0:0, 2097156 bytes streamed from \/var\/lib\/reconcile\/backups\//);
      expect((await fs.readFile(file)).equals(bytes)).toBe(true);
      expect((await fs.stat(file)).mode & 0o7777).toBe(mode);
      expect(execFileSync('getfacl', ['--omit-header', '--absolute-names', file], { encoding: 'utf8' })).toBe(acl);
      expect(execFileSync('getfattr', ['--only-values', '-n', 'user.note', file], { encoding: 'utf8' })).toBe('keep');
    } finally {
      await fs.rm(desired, { force: true });
    }
  });
});

describe('copyFileAtomic', () => {
  it('refuses a source that is not the object checked (swapped), copying nothing', async () => {
    const host = new RootedHost(root.dir);
    const checked = (await host.lstat('/var/cache/big/notes.txt'))!;
    await fs.rename(root.path('/var/cache/big/notes.txt'), root.path('/var/cache/big/old.txt'));
    await fs.writeFile(root.path('/var/cache/big/notes.txt'), 'planted\n');
    await expect(
      host.copyFileAtomic('/var/cache/big/notes.txt', '/var/cache/big/copy.txt', { mode: 0o600, uid: 0, gid: 0, source: { type: checked.type, dev: checked.dev, ino: checked.ino } }),
    ).rejects.toThrow(/was replaced after reconcile checked it/);
    expect((await fs.readdir(root.path('/var/cache/big'))).sort()).toEqual(['notes.txt', 'old.txt']);
  });

  it('copies all-zero blocks as holes, data exactly, and sets mode and owner', async () => {
    const host = new RootedHost(root.dir);
    const src = root.path('/var/cache/big/mixed.bin');
    const bytes = Buffer.concat([Buffer.alloc(3 * 4096), Buffer.from('x'), Buffer.alloc(2 * MiB), Buffer.from('end')]);
    await fs.writeFile(src, bytes);
    const digest = await host.copyFileAtomic('/var/cache/big/mixed.bin', '/var/cache/big/copy.bin', { mode: 0o600, uid: 0, gid: 0 });
    const copy = root.path('/var/cache/big/copy.bin');
    expect((await fs.readFile(copy)).equals(bytes)).toBe(true);
    expect(digest).toEqual({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    // The source is dense (written as zeros); the copy has holes where the zeros were.
    expect(await allocated(copy)).toBeLessThan(await allocated(src));
    expect((await fs.stat(copy)).mode & 0o7777).toBe(0o600);
    expect(await host.digestFile('/var/cache/big/copy.bin')).toEqual(digest);
  });

  it('refuses before the rename when the bytes are not the ones expected, leaving the target and no temp file', async () => {
    const host = new RootedHost(root.dir);
    await fs.writeFile(root.path('/var/cache/big/a'), 'new bytes\n');
    await expect(
      host.copyFileAtomic('/var/cache/big/a', '/var/cache/big/notes.txt', { mode: 0o644, uid: 0, gid: 0, sha256: '0'.repeat(64) }),
    ).rejects.toThrow(/bytes changed since they were checked/);
    expect(await fs.readFile(root.path('/var/cache/big/notes.txt'), 'utf8')).toBe('keep me\n');
    expect((await fs.readdir(root.path('/var/cache/big'))).sort()).toEqual(['a', 'notes.txt']);
  });
});
