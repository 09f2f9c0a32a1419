// Races against confinement: an attacker who can write a directory above a
// target swaps it for a symlink after reconcile checked the path and before
// the system call. The pinned-parent design must refuse, never follow.

import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfinementError } from '../../src/errors.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';

/** A RootedHost whose path checks are followed, once, by the attacker's move. */
class RacedHost extends RootedHost {
  attack: (() => Promise<void>) | null = null;
  override async resolve(p: string, followFinal = false): Promise<string> {
    const resolved = await super.resolve(p, followFinal);
    const attack = this.attack;
    this.attack = null;
    await attack?.();
    return resolved;
  }
}

let root: TempRoot;
let outside: TempRoot;
afterEach(async () => {
  await root.cleanup();
  await outside.cleanup();
});

async function setUp() {
  root = await makeRoot({ 'scratch/d/victim': 'inside\n', 'scratch/d/f.conf': 'inside\n' });
  outside = await makeRoot({ 'd/victim': 'outside\n', 'd/f.conf': 'outside\n' });
  await fs.chmod(outside.path('/d/f.conf'), 0o600);
  return new RacedHost(root.dir);
}

/** Swap /scratch/d (the parent) for an absolute link to the outside directory. */
const swapParent = () => async () => {
  await fs.rename(root.path('/scratch/d'), root.path('/scratch/d.orig'));
  await fs.symlink(outside.path('/d'), root.path('/scratch/d'));
};

/** Swap /scratch (a grandparent) for a link to the outside root, so /scratch/d leads out. */
const swapGrandparent = () => async () => {
  await fs.rename(root.path('/scratch'), root.path('/scratch.orig'));
  await fs.symlink(outside.dir, root.path('/scratch'));
};

const operations: Record<string, (host: RacedHost) => Promise<unknown>> = {
  unlink: (h) => h.unlink('/scratch/d/victim'),
  writeFileAtomic: (h) => h.writeFileAtomic('/scratch/d/victim', 'mine\n', { mode: 0o644, uid: 0, gid: 0 }),
  chmod: (h) => h.chmod('/scratch/d/f.conf', 0o666),
  lchown: (h) => h.lchown('/scratch/d/f.conf', 1234, 1234),
  removeTree: (h) => h.removeTree('/scratch/d/victim'),
};

describe('a directory swapped for a symlink between check and act', () => {
  for (const [name, op] of Object.entries(operations)) {
    for (const [where, attack] of [
      ['parent', swapParent],
      ['grandparent', swapGrandparent],
    ] as const) {
      it(`${name}: a swapped ${where} is refused and nothing outside the root changes`, async () => {
        const host = await setUp();
        const before = await fs.lstat(outside.path('/d/f.conf'));
        host.attack = attack();
        await expect(op(host)).rejects.toThrow(/swapped|changed while reconcile/);
        expect(await fs.readFile(outside.path('/d/victim'), 'utf8')).toBe('outside\n');
        const after = await fs.lstat(outside.path('/d/f.conf'));
        expect([after.mode & 0o7777, after.uid, after.ino]).toEqual([before.mode & 0o7777, before.uid, before.ino]);
        expect((await fs.readdir(outside.path('/d'))).sort()).toEqual(['f.conf', 'victim']);
      });
    }
  }

  it('reports the failure with the path inside the root, never the --root prefix', async () => {
    const host = await setUp();
    host.attack = swapGrandparent();
    const err = await host.unlink('/scratch/d/victim').then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(ConfinementError);
    expect(err!.message).toContain('/scratch/d/victim');
    expect(err!.message).not.toContain(path.join(root.dir, 'scratch'));
  });
});

describe('system errors', () => {
  it('name the path inside the root and the errno code', async () => {
    root = await makeRoot({ 'etc/x': 'x' });
    outside = await makeRoot({});
    const host = new RootedHost(root.dir);
    const err = await host.unlink('/etc/missing').then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.message).toBe('cannot remove /etc/missing: no such file or directory (ENOENT)');
    expect(err?.code).toBe('ENOENT');
  });
});
