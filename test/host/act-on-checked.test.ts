// Issue 9, section 1: reconcile acts on the object it checked, never on what
// a name points at by the time the system call runs. Each attack here worked
// before the fix: a hard link to a file outside the root swapped in for
// /dev/nvidia0 (or planted beforehand) got chmod-ed 0666; a subdirectory
// swapped for a symlink, or a bind mount, made a tree removal delete files
// outside the root; a parent swapped for a symlink made a read (a backup)
// copy an outside secret.

import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backupPath } from '../../src/apply/backup.js';
import { applyChange } from '../../src/apply/operations.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import type { ObjectIdentity } from '../../src/host/types.js';
import type { Change } from '../../src/plan/types.js';
import { fingerprintOf } from '../../src/kinds/shared/fingerprint.js';
import { canMakeDevices, makeRoot, type TempRoot } from '../helpers/temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempRoot(tree: Parameters<typeof makeRoot>[0] = {}): Promise<TempRoot> {
  const r = await makeRoot(tree);
  cleanups.push(() => r.cleanup());
  return r;
}

/** A mode-only change, as the device-mode and file handlers plan it. */
async function modeChange(host: RootedHost, target: string, mode: number): Promise<Change> {
  return {
    resource: 'devices',
    kind: 'device-mode',
    target,
    action: 'update',
    summary: `chmod ${target}`,
    expect: fingerprintOf(await host.lstat(target)),
    op: { type: 'set-attributes', mode },
  };
}

/** A RootedHost on which `attack` runs once, right before chmod/lchown act (after every check of the applier). */
class AttackedHost extends RootedHost {
  attack: (() => Promise<void>) | null = null;
  private async strike(): Promise<void> {
    const a = this.attack;
    this.attack = null;
    await a?.();
  }
  override async chmod(p: string, mode: number, expect?: ObjectIdentity): Promise<void> {
    await this.strike();
    return super.chmod(p, mode, expect);
  }
  override async lchown(p: string, uid: number, gid: number, expect?: ObjectIdentity): Promise<void> {
    await this.strike();
    return super.lchown(p, uid, gid, expect);
  }
}

const modeOf = async (p: string) => (await fs.lstat(p)).mode & 0o7777;

describe('chmod and chown act on the checked object', () => {
  it('a file with a planted hard link to a file outside the root is refused for a mode-only change, with no race', async () => {
    const outside = await tempRoot({ 'secret': 'outside\n' });
    await fs.chmod(outside.path('/secret'), 0o600);
    const root = await tempRoot({ 'etc/placeholder': '' });
    await fs.link(outside.path('/secret'), root.path('/etc/app.conf'));
    const host = new RootedHost(root.dir);
    const outcome = await applyChange(host, await modeChange(host, '/etc/app.conf', 0o666), '/var/lib/reconcile/backups/t');
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/2 hard links/);
    expect(await modeOf(outside.path('/secret'))).toBe(0o600);
  });

  it('a hard link to an outside file swapped in for /dev/nvidia0 after the check is refused, and the outside file keeps its mode', async () => {
    if (!(await canMakeDevices())) return;
    const outside = await tempRoot({ 'secret': 'outside\n' });
    await fs.chmod(outside.path('/secret'), 0o600);
    const root = await tempRoot({});
    await fs.mkdir(root.path('/dev'));
    execFileSync('mknod', ['-m', '0660', root.path('/dev/nvidia0'), 'c', '195', '0']);
    const host = new AttackedHost(root.dir);
    const change = await modeChange(host, '/dev/nvidia0', 0o666);
    host.attack = async () => {
      // The attacker's swap: the name now holds a hard link to the outside file.
      await fs.link(outside.path('/secret'), root.path('/dev/.swap'));
      await fs.rename(root.path('/dev/.swap'), root.path('/dev/nvidia0'));
    };
    const outcome = await applyChange(host, change, '/var/lib/reconcile/backups/t');
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/replaced after reconcile checked it|hard links/);
    expect(await modeOf(outside.path('/secret'))).toBe(0o600);
  });

  it('an owner change is refused the same way when the name is swapped after the check', async () => {
    const outside = await tempRoot({ 'secret': 'outside\n' });
    const root = await tempRoot({ 'etc/app.conf': 'inside\n' });
    const host = new AttackedHost(root.dir);
    const change: Change = { ...(await modeChange(host, '/etc/app.conf', 0o644)), op: { type: 'set-attributes', uid: 1234, gid: 1234 } };
    host.attack = async () => {
      // A fresh file of the same type (nlink 1) in its place: only dev/ino tell them apart.
      await fs.writeFile(root.path('/etc/.swap'), 'other\n');
      await fs.rename(root.path('/etc/.swap'), root.path('/etc/app.conf'));
    };
    const outcome = await applyChange(host, change, '/var/lib/reconcile/backups/t');
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/replaced after reconcile checked it/);
    expect((await fs.lstat(root.path('/etc/app.conf'))).uid).toBe(0);
    expect((await fs.lstat(outside.path('/secret'))).uid).toBe(0);
  });

  it('a racing process swapping /dev/nvidia0 and a hard link to an outside file never gets the outside file chmod-ed (200 runs)', async () => {
    if (!(await canMakeDevices())) return;
    const outside = await tempRoot({ 'secret': 'outside\n' });
    await fs.chmod(outside.path('/secret'), 0o600);
    const root = await tempRoot({});
    await fs.mkdir(root.path('/dev'));
    execFileSync('mknod', ['-m', '0660', root.path('/dev/.node'), 'c', '195', '0']);
    await fs.link(outside.path('/secret'), root.path('/dev/.evil'));
    await fs.link(root.path('/dev/.node'), root.path('/dev/nvidia0'));
    // The attacker: a loop of link + rename, alternating the two inodes under the name.
    const racer = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');process.chdir(${JSON.stringify(root.path('/dev'))});
       for(;;){for(const s of ['.evil','.node']){try{fs.linkSync(s,'.t');fs.renameSync('.t','nvidia0')}catch{}}}`,
    ]);
    cleanups.push(async () => {
      racer.kill('SIGKILL');
    });
    const host = new RootedHost(root.dir);
    let outsideTouched = 0;
    for (let i = 0; i < 200; i++) {
      let change: Change;
      try {
        change = await modeChange(host, '/dev/nvidia0', 0o666);
      } catch {
        continue;
      }
      const outcome = await applyChange(host, change, `/var/lib/reconcile/backups/r${i}`);
      if ((await modeOf(outside.path('/secret'))) !== 0o600) {
        outsideTouched += 1;
        await fs.chmod(outside.path('/secret'), 0o600);
      }
      void outcome;
    }
    racer.kill('SIGKILL');
    // An attempt may still chmod the device node itself (the object it checked), never the outside file.
    expect(outsideTouched).toBe(0);
  });
});

describe('tree removal walks by descriptor', () => {
  it('does not cross a bind mount inside the tree, and says so', async () => {
    const outside = await tempRoot({ 'keep/a': 'a\n', 'keep/b': 'b\n' });
    const root = await tempRoot({ 'srv/tree/file': 'x\n', 'srv/tree/mnt/.placeholder': '' });
    try {
      execFileSync('mount', ['--bind', outside.path('/keep'), root.path('/srv/tree/mnt')]);
    } catch {
      return; // no mount privilege here
    }
    cleanups.push(async () => {
      execFileSync('umount', ['-l', root.path('/srv/tree/mnt')]);
    });
    const host = new RootedHost(root.dir);
    await expect(host.removeTree('/srv/tree')).rejects.toThrow(/mounted inside it/);
    expect((await fs.readdir(outside.path('/keep'))).sort()).toEqual(['a', 'b']);
    expect(await fs.readFile(root.path('/srv/tree/file'), 'utf8')).toBe('x\n');
  });

  it('a subdirectory swapped for a symlink to an outside directory mid-removal never loses an outside file (20 runs)', async () => {
    const outside = await tempRoot({});
    let lost = 0;
    for (let run = 0; run < 20; run++) {
      const files: Record<string, string> = {};
      for (let a = 0; a < 20; a++) for (let i = 0; i < 10; i++) files[`home/u/sub/d${a}/f${i}`] = 'mine\n';
      const root = await tempRoot(files);
      const target = outside.path(`/o${run}`);
      for (let a = 0; a < 20; a++) {
        await fs.mkdir(`${target}/d${a}`, { recursive: true });
        for (let i = 0; i < 10; i++) await fs.writeFile(`${target}/d${a}/f${i}`, 'outside\n');
      }
      // The owner of /home/u, working from inside it (its cwd follows the renamed tree):
      // once the removal is under way inside sub, sub becomes a symlink to the outside directory.
      const racer = spawn(process.execPath, [
        '-e',
        `const fs=require('fs');process.chdir(${JSON.stringify(root.path('/home/u'))});
         process.stdout.write('ready\\n');
         const gone=()=>{for(let a=0;a<20;a++)if(!fs.existsSync('sub/d'+a))return true;return false};
         while(!gone()){}
         fs.renameSync('sub','real');fs.symlinkSync(${JSON.stringify(target)},'sub');`,
      ]);
      const exited = new Promise((r) => racer.once('exit', r));
      await new Promise((r) => racer.stdout.once('data', r));
      const host = new RootedHost(root.dir);
      await host.removeTree('/home').catch(() => undefined);
      racer.kill('SIGKILL');
      await exited;
      let left = 0;
      for (let a = 0; a < 20; a++) left += (await fs.readdir(`${target}/d${a}`).catch(() => [])).length;
      if (left !== 200) lost += 1;
    }
    expect(lost).toBe(0);
  });
});

describe('reads go through the checked object', () => {
  it('a backup refuses a file swapped for a hard link to an outside secret after the probe', async () => {
    const outside = await tempRoot({ 'secret': 'TOP SECRET\n' });
    await fs.chmod(outside.path('/secret'), 0o600);
    const root = await tempRoot({ 'etc/app.conf': 'inside\n' });
    class SwapAfterProbe extends RootedHost {
      armed = true;
      override async lstat(p: string) {
        const st = await super.lstat(p);
        if (this.armed && p === '/etc/app.conf') {
          this.armed = false;
          await fs.link(outside.path('/secret'), root.path('/etc/.swap'));
          await fs.rename(root.path('/etc/.swap'), root.path('/etc/app.conf'));
        }
        return st;
      }
    }
    const host = new SwapAfterProbe(root.dir);
    await expect(backupPath(host, '/var/lib/reconcile/backups/t', '/etc/app.conf')).rejects.toThrow(/replaced after reconcile checked it/);
    const copied = await fs.readFile(root.path('/var/lib/reconcile/backups/t/etc/app.conf'), 'utf8').catch(() => null);
    expect(copied).toBeNull();
  });

  it('a parent swapped for a symlink to an outside directory after resolving is refused, never read', async () => {
    const outside = await tempRoot({ 'd/f.conf': 'outside\n' });
    const root = await tempRoot({ 'scratch/d/f.conf': 'inside\n' });
    class RacedHost extends RootedHost {
      armed = true;
      override async resolve(p: string, followFinal = false): Promise<string> {
        const r = await super.resolve(p, followFinal);
        if (this.armed) {
          this.armed = false;
          await fs.rename(root.path('/scratch/d'), root.path('/scratch/d.orig'));
          await fs.symlink(outside.path('/d'), root.path('/scratch/d'));
        }
        return r;
      }
    }
    const host = new RacedHost(root.dir);
    const read = await host.readFile('/scratch/d/f.conf').then(
      (b) => b?.toString(),
      (e: Error) => e.message,
    );
    expect(read).not.toBe('outside\n');
    expect(read).toMatch(/swapped|changed while reconcile/);
  });
});

void os;
void path;
