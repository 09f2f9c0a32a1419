import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/errors.js';
import { writeLocalFileAtomic } from '../../src/host/local-write.js';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-write-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('writeLocalFileAtomic', () => {
  it('creates missing directories and writes the file with the mode given', async () => {
    const target = path.join(tmp, 'textfile_collector/sub/reconcile.prom');
    await writeLocalFileAtomic(target, 'reconcile_check_success 1\n', 0o644);
    expect(await fs.readFile(target, 'utf8')).toBe('reconcile_check_success 1\n');
    expect((await fs.stat(target)).mode & 0o7777).toBe(0o644);
  });

  it('replaces an existing file by rename (a reader holding the old one keeps it whole)', async () => {
    const target = path.join(tmp, 'report.json');
    await fs.writeFile(target, 'old');
    const before = await fs.stat(target);
    const reader = await fs.open(target, 'r');
    await writeLocalFileAtomic(target, 'new');
    expect(await fs.readFile(target, 'utf8')).toBe('new');
    expect((await fs.stat(target)).ino).not.toBe(before.ino);
    expect((await reader.readFile('utf8'))).toBe('old');
    await reader.close();
  });

  it('leaves no temp file behind', async () => {
    await writeLocalFileAtomic(path.join(tmp, 'a.prom'), 'x');
    expect(await fs.readdir(tmp)).toEqual(['a.prom']);
  });

  it('fails with a UserError naming the path, and cleans up, when it cannot write', async () => {
    const blocker = path.join(tmp, 'not-a-dir');
    await fs.writeFile(blocker, '');
    const target = path.join(blocker, 'x.prom');
    await expect(writeLocalFileAtomic(target, 'x')).rejects.toThrow(UserError);
    await expect(writeLocalFileAtomic(target, 'x')).rejects.toThrow(/cannot write .*not-a-dir\/x\.prom.*Fix:/);
    expect(await fs.readdir(tmp)).toEqual(['not-a-dir']);
  });
});
