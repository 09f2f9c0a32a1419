// One resource failing does not stop the others; the summary names each
// failure and its reason; exit 1. Read-only targets and a full disk (tiny
// tmpfs mounts, when this machine allows mounting) leave targets as they were.

import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { main } from '../../src/cli/main.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { loadDesiredState } from '../../src/model/load.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { liveView, result } from '../helpers/live-view.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { execa } from 'execa';
import { bin, ensureBuilt } from './built-cli.js';
import { captureOutput, snapshot } from './snapshot.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/bash\n';

let root: TempRoot;
let cfgDir: string;
const mounts: string[] = [];

beforeEach(async () => {
  root = await makeRoot({
    'etc/passwd': PASSWD,
    'etc/group': 'root:x:0:\nvideo:x:44:alice\ndocker:x:999:alice,bob\n',
    'etc/gshadow': 'root:*::\nvideo:!::alice\ndocker:!::alice,bob\n',
    'etc/old.conf': 'remove me\n',
    'var/lib': { type: 'dir' },
  });
  cfgDir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-cfg-'));
});
afterEach(async () => {
  for (const m of mounts.splice(0).reverse()) execFileSync('umount', [m]);
  await root.cleanup();
  await fs.rm(cfgDir, { recursive: true, force: true });
});

const FILE = (id: string, p: string, content: string) => `  - id: ${id}\n    kind: file\n    path: ${p}\n    content: ${JSON.stringify(content)}\n    mode: "0644"\n`;
const GROUP = `  - id: video\n    kind: group\n    group: video\n    include: [docker]\n`;
const GONE = `  - id: gone\n    kind: file\n    path: /etc/old.conf\n    state: absent\n`;

async function apply(resources: string) {
  const file = path.join(cfgDir, 'desired.yaml');
  await fs.writeFile(file, `version: 1\nresources:\n${resources}`);
  const io = captureOutput();
  const code = await main(['--apply', '--desired', file, '--root', root.dir], io);
  return { code, stdout: io.stdout, stderr: io.stderr, file };
}

/** Mounts a tmpfs of `size` at an inside-root directory; null (and why) when this machine does not allow it. */
function tryMount(inside: string, size: string): string | null {
  const dir = root.path(inside);
  try {
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    mounts.push(dir);
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`;
  }
}

describe('partial failure', () => {
  it('a group change that fails does not stop the others; the summary names it; exit 1', async () => {
    // A corrupt video line (5 fields) in gshadow makes the group edit fail at apply time
    // (in etc/group it is refused already when planning).
    await fs.writeFile(root.path('/etc/gshadow'), 'root:*::\nvideo:!::alice:extra\ndocker:!::alice,bob\n');
    const r = await apply(FILE('a', '/etc/a.conf', 'a\n') + GROUP + GONE + FILE('b', '/etc/b.conf', 'b\n'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED\s+~ video .*\n\s+.*\/etc\/gshadow line 2 \(group video\) does not parse: it has 5 fields/);
    expect(r.stdout).toContain('Apply: 3 applied, 0 skipped, 1 failed.');
    expect(await fs.readFile(root.path('/etc/a.conf'), 'utf8')).toBe('a\n');
    expect(await fs.readFile(root.path('/etc/b.conf'), 'utf8')).toBe('b\n');
    await expect(fs.lstat(root.path('/etc/old.conf'))).rejects.toThrow();
    expect(await fs.readFile(root.path('/etc/gshadow'), 'utf8')).toContain('video:!::alice:extra\n');
    expect(await fs.readFile(root.path('/etc/group'), 'utf8')).toContain('video:x:44:alice\n');
  });

  it('gpasswd refusing a user that no longer exists (live host) fails that change only, with its reason', async () => {
    const files = new RootedHost(root.dir);
    const host = liveView(files, async (command, args) => {
      if (command === 'getent') {
        const line = ((await files.readText('/etc/group')) ?? '').split('\n').find((l) => l.startsWith(`${args[1]}:`));
        return line ? result(0, `${line}\n`) : result(2);
      }
      if (command === 'gpasswd') return result(3, '', `gpasswd: user '${args[1]}' does not exist\n`);
      return result(127);
    });
    const file = path.join(cfgDir, 'desired.yaml');
    await fs.writeFile(file, `version: 1\nresources:\n${FILE('a', '/etc/a.conf', 'a\n')}${GROUP}${GONE}`);
    const plan = await buildPlan(host, (await loadDesiredState(file)).resources);
    expect(plan.changes.map((c) => c.target)).toEqual(['/etc/a.conf', 'video', '/etc/old.conf']);
    const res = await applyPlan(host, plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 0, desiredFiles: [file] });
    expect(res.outcomes.map((o) => o.status)).toEqual(['applied', 'failed', 'applied']);
    expect(res.outcomes[1]!.message).toContain("gpasswd -a bob video failed (exit 3): gpasswd: user 'bob' does not exist");
    expect(res.counts).toEqual({ applied: 2, skipped: 0, failed: 1 });
  });
});

describe('read-only targets and a full disk', () => {
  it('a read-only filesystem under a target: that change fails with the reason, the target is unchanged, the rest applies', async () => {
    const why = tryMount('/etc/ro', '64k');
    if (why) {
      console.log(`skipped: ${why}`);
      return;
    }
    await fs.writeFile(root.path('/etc/ro/app.conf'), 'as it was\n');
    execFileSync('mount', ['-o', 'remount,ro', root.path('/etc/ro')]);
    const before = await snapshot(root.dir);
    const r = await apply(FILE('ro', '/etc/ro/app.conf', 'new\n') + FILE('a', '/etc/a.conf', 'a\n'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED\s+~ \/etc\/ro\/app.conf.*\n\s+.*EROFS/);
    expect(r.stdout).toContain('Apply: 1 applied, 0 skipped, 1 failed.');
    const after = await snapshot(root.dir);
    expect(after['/etc/ro/app.conf']).toEqual(before['/etc/ro/app.conf']);
    expect(await fs.readdir(root.path('/etc/ro'))).toEqual(['app.conf']);
  });

  it('a full disk: the atomic write fails before the rename, the target stays as it was, no temp file is left', async () => {
    const why = tryMount('/srv/small', '64k');
    if (why) {
      console.log(`skipped: ${why}`);
      return;
    }
    await fs.writeFile(root.path('/srv/small/data.conf'), 'as it was\n');
    const before = await snapshot(root.dir);
    const big = 'x'.repeat(200 * 1024) + '\n';
    const r = await apply(FILE('big', '/srv/small/data.conf', big) + FILE('a', '/etc/a.conf', 'a\n'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED\s+~ \/srv\/small\/data.conf.*\n\s+.*ENOSPC/);
    expect(await fs.readFile(root.path('/srv/small/data.conf'), 'utf8')).toBe('as it was\n');
    expect((await snapshot(root.dir))['/srv/small/data.conf']).toEqual(before['/srv/small/data.conf']);
    expect(await fs.readdir(root.path('/srv/small'))).toEqual(['data.conf']);
    expect(await fs.readFile(root.path('/etc/a.conf'), 'utf8')).toBe('a\n');
  });

  it('a full state directory: the backup fails, so the change is not made', async () => {
    const why = tryMount('/var/lib/reconcile', '16k');
    if (why) {
      console.log(`skipped: ${why}`);
      return;
    }
    // Fill it so the backup copy cannot be written.
    await fs.writeFile(root.path('/var/lib/reconcile/filler'), Buffer.alloc(12 * 1024)).catch(() => undefined);
    await fs.writeFile(root.path('/etc/big.conf'), 'y'.repeat(64 * 1024));
    const r = await apply(FILE('big', '/etc/big.conf', 'small\n'));
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/ENOSPC/);
    expect(await fs.readFile(root.path('/etc/big.conf'), 'utf8')).toBe('y'.repeat(64 * 1024));
  });

  it('a backup that cannot be written fails that target only, saying so; the others apply; never an internal error', async () => {
    // Backups on their own full tmpfs; the journal (runs/) still has room.
    const why = tryMount('/var/lib/reconcile/backups', '16k');
    if (why) {
      console.log(`skipped: ${why}`);
      return;
    }
    await fs.chmod(root.path('/var/lib/reconcile'), 0o700);
    await fs.chmod(root.path('/var/lib/reconcile/backups'), 0o700);
    await fs.writeFile(root.path('/etc/big.conf'), 'y'.repeat(64 * 1024));
    const r = await apply(FILE('big', '/etc/big.conf', 'small\n') + FILE('a', '/etc/a.conf', 'a\n'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED\s+~ \/etc\/big.conf.*\n\s+could not back up \/etc\/big.conf first, so it was left as it is: cannot write \/var\/lib\/reconcile\/backups\/\S+\/etc\/big.conf\S*: no space left on device \(ENOSPC\)/);
    expect(r.stdout).toContain('Apply: 1 applied, 0 skipped, 1 failed.');
    expect(await fs.readFile(root.path('/etc/big.conf'), 'utf8')).toBe('y'.repeat(64 * 1024));
    expect(await fs.readFile(root.path('/etc/a.conf'), 'utf8')).toBe('a\n');
  });

  it('a journal that cannot be written: the run stops before the next change and says what it did; never an internal error', async () => {
    // One 4 KiB page for the journal: the first small change fits, the second one's begin record does not.
    const why = tryMount('/var/lib/reconcile/runs', '4k');
    if (why) {
      console.log(`skipped: ${why}`);
      return;
    }
    await fs.chmod(root.path('/var/lib/reconcile'), 0o700);
    await fs.chmod(root.path('/var/lib/reconcile/runs'), 0o700);
    const bulky = 'z'.repeat(4 * 1024) + '\n';
    const r = await apply(FILE('a', '/etc/a.conf', 'a\n') + FILE('b', '/etc/b.conf', bulky) + FILE('c', '/etc/c.conf', 'c\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|This is a bug/);
    expect(r.stderr).toMatch(/^reconcile: error: cannot append to \/var\/lib\/reconcile\/runs\/\S+\/journal.jsonl: no space left on device \(ENOSPC\)\. /);
    expect(r.stderr).toContain('stopped before the next change');
    expect(r.stderr).toContain('Before it stopped: 1 change(s) applied (/etc/a.conf)');
    expect(await fs.readFile(root.path('/etc/a.conf'), 'utf8')).toBe('a\n');
    // The change whose begin could not be journaled was not made, nor any after it.
    await expect(fs.lstat(root.path('/etc/b.conf'))).rejects.toThrow();
    await expect(fs.lstat(root.path('/etc/c.conf'))).rejects.toThrow();
    // The lock is released: once there is room, the next apply finishes the job.
    execFileSync('umount', [mounts.pop()!]);
    const again = await apply(FILE('a', '/etc/a.conf', 'a\n') + FILE('b', '/etc/b.conf', bulky) + FILE('c', '/etc/c.conf', 'c\n'));
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(await fs.readFile(root.path('/etc/c.conf'), 'utf8')).toBe('c\n');
  });

  it('a rollback with a full state directory says so (path and cause) and changes nothing; never an internal error', async () => {
    const why = tryMount('/var/lib/reconcile', '256k');
    if (why) {
      console.log(`skipped: ${why}`);
      return;
    }
    await fs.chmod(root.path('/var/lib/reconcile'), 0o700);
    const applied = await apply(FILE('a', '/etc/a.conf', 'a\n'));
    expect(applied.code).toBe(0);
    // Fill what is left of it.
    await fs.writeFile(root.path('/var/lib/reconcile/filler'), Buffer.alloc(512 * 1024, 1)).catch(() => undefined);
    const before = await snapshot(root.dir);
    const io = captureOutput();
    const code = await main(['--rollback', '--root', root.dir], io);
    expect(code).toBe(1);
    expect(io.stderr).not.toMatch(/internal error|This is a bug/);
    expect(io.stderr).toMatch(/^reconcile: error: cannot \S+( \S+)? \/var\/lib\/reconcile\/\S+: no space left on device \(ENOSPC\)/);
    const after = await snapshot(root.dir);
    expect(after['/etc/a.conf']).toEqual(before['/etc/a.conf']);
  });

  it('EACCES on a target (root without CAP_DAC_OVERRIDE, a directory owned by another user): that target fails with the path and cause, the rest applies', async () => {
    if (process.getuid?.() !== 0) {
      console.log('skipped: needs root (to drop CAP_DAC_OVERRIDE from a root process)');
      return;
    }
    await ensureBuilt();
    await fs.mkdir(root.path('/srv/alice'), { recursive: true });
    await fs.writeFile(root.path('/srv/alice/app.conf'), 'as it was\n');
    await fs.chown(root.path('/srv/alice'), 1001, 1001);
    await fs.chmod(root.path('/srv/alice'), 0o755);
    const file = path.join(cfgDir, 'desired.yaml');
    await fs.writeFile(file, `version: 1\nresources:\n${FILE('alice', '/srv/alice/app.conf', 'new\n')}${FILE('a', '/etc/a.conf', 'a\n')}`);
    const caps = '-dac_override,-dac_read_search';
    const r = await execa('setpriv', [`--inh-caps=${caps}`, `--bounding-set=${caps}`, '--', process.execPath, bin, '--apply', '--desired', file, '--root', root.dir], {
      reject: false,
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/FAILED\s+~ \/srv\/alice\/app.conf.*\n\s+cannot write \/srv\/alice\/app.conf: permission denied \(EACCES\)/);
    expect(r.stdout).toContain('Apply: 1 applied, 0 skipped, 1 failed.');
    expect(await fs.readFile(root.path('/srv/alice/app.conf'), 'utf8')).toBe('as it was\n');
    expect(await fs.readdir(root.path('/srv/alice'))).toEqual(['app.conf']);
    expect(await fs.readFile(root.path('/etc/a.conf'), 'utf8')).toBe('a\n');
  });
});
