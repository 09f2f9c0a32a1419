// Host.readFile reads synchronously through the held descriptor (issue 13: a
// thread-pool round trip and a promise per system call per file was most of
// a converged 10 000-file plan). What it reads, and what it refuses to read,
// is unchanged: only regular files, never a device node's driver or a FIFO,
// through the object it checked.

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { RootedHost } from '../../src/host/rooted-host.js';
import { canMakeDevices, charDevice, fifo, makeRoot, symlink, type TempRoot } from '../helpers/temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  jest.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempRoot(tree: Parameters<typeof makeRoot>[0] = {}): Promise<TempRoot> {
  const r = await makeRoot(tree);
  cleanups.push(() => r.cleanup());
  return r;
}

describe('Host.readFile, synchronous through the held descriptor', () => {
  it('reads many files without one FileHandle (async open) each', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 50; i++) tree[`etc/managed/f${i}.conf`] = `line ${i}\n`;
    const root = await tempRoot(tree);
    const host = new RootedHost(root.dir);
    const open = jest.spyOn(fs, 'open');
    for (let i = 0; i < 50; i++) expect((await host.readFile(`/etc/managed/f${i}.conf`))?.toString()).toBe(`line ${i}\n`);
    expect(open).not.toHaveBeenCalled();
  });

  it('a FIFO is not read (it would block): null, at once', async () => {
    const root = await tempRoot({ 'run/pipe': fifo() });
    expect(await new RootedHost(root.dir).readFile('/run/pipe')).toBeNull();
  });

  it('a device node is not read (that would talk to its driver): null, not /dev/null\'s empty bytes', async () => {
    if (!(await canMakeDevices())) {
      console.warn('skipped: cannot make device nodes here (needs root with CAP_MKNOD)');
      return;
    }
    const root = await tempRoot({ 'dev/null': charDevice(1, 3) });
    expect(await new RootedHost(root.dir).readFile('/dev/null')).toBeNull();
  });

  it('a missing file or parent is null; a symlink is read inside the root, never outside it', async () => {
    const outside = await tempRoot({ 'secret': 'outside\n' });
    const root = await tempRoot({ 'etc/real.conf': 'inside\n', 'etc/link.conf': symlink('/etc/real.conf'), 'etc/escape.conf': symlink(outside.path('/secret')) });
    const host = new RootedHost(root.dir);
    expect(await host.readFile('/etc/missing.conf')).toBeNull();
    expect(await host.readFile('/nope/missing.conf')).toBeNull();
    expect((await host.readFile('/etc/link.conf'))?.toString()).toBe('inside\n');
    // An absolute target is read as inside the root, where it does not exist.
    expect(await host.readFile('/etc/escape.conf')).toBeNull();
  });

  it('a file replaced after its probe is refused, not read', async () => {
    const root = await tempRoot({ 'etc/app.conf': 'first\n' });
    const host = new RootedHost(root.dir);
    const st = (await host.lstat('/etc/app.conf'))!;
    await fs.writeFile(root.path('/etc/.new'), 'second\n');
    await fs.rename(root.path('/etc/.new'), root.path('/etc/app.conf'));
    await expect(host.readFile('/etc/app.conf', { type: st.type, dev: st.dev, ino: st.ino })).rejects.toThrow(/replaced after reconcile checked it/);
  });
});
