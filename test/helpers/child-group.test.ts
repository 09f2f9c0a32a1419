// Children never outlive their test: a child's whole process group is killed
// and gone before stopAll() returns, so a temp root removed afterwards stays
// removed (a writer left running made rmdir fail with ENOTEMPTY).

import { promises as fs } from 'node:fs';
import { ChildGroup, groupAlive } from './child-group.js';
import { makeRoot, type TempRoot } from './temp-root.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A shell that starts a writer filling the root (in the background, in the
// shell's process group) and prints the writer's pid.
const WRITER = 'while :; do mkdir -p "$0/var/lib/w" && echo x > "$0/var/lib/w/f.$RANDOM"; done';

let root: TempRoot;
const children = new ChildGroup();
beforeEach(async () => {
  root = await makeRoot({ 'var/lib/.keep': '' });
});
afterEach(async () => {
  await children.stopAll();
  await root.cleanup();
});

async function writerPid(child: Promise<{ stdout: unknown }> & { stdout: NodeJS.ReadableStream | null }): Promise<number> {
  // The first line of output, without waiting for the child to end.
  return new Promise((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
}

describe('ChildGroup', () => {
  it('stopAll kills a running child and what it started, then the root can be removed for good', async () => {
    const child = children.start('sh', ['-c', `(${WRITER}) >/dev/null 2>&1 & echo $!; wait`, root.dir]);
    const writer = await writerPid(child);
    expect(alive(writer)).toBe(true);
    await children.stopAll();
    expect(alive(writer)).toBe(false);
    expect(groupAlive(child.pid!)).toBe(false);
    expect(children.size).toBe(0);
    await root.cleanup();
    await expect(fs.lstat(root.dir)).rejects.toThrow(/ENOENT/);
  });

  it('a child that exited leaving a writer behind: stopAll kills the writer too', async () => {
    const child = children.start('sh', ['-c', `(${WRITER}) >/dev/null 2>&1 & echo $!`, root.dir]);
    const writer = await writerPid(child);
    expect((await child).exitCode).toBe(0);
    await children.stopAll();
    expect(alive(writer)).toBe(false);
    await root.cleanup();
    await expect(fs.lstat(root.dir)).rejects.toThrow(/ENOENT/);
  });

  it('reports a killed child as killed, like execa', async () => {
    const child = children.start('sleep', ['30']);
    process.kill(child.pid!, 'SIGKILL');
    const r = await child;
    expect(r.signal).toBe('SIGKILL');
    await children.stopAll();
    expect(children.size).toBe(0);
  });
});
