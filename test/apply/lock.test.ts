// One apply at a time per root: a held lock fails at once naming its holder,
// --lock-timeout waits, a dead holder's lock (or a reused pid's, or an empty
// lock file left long ago) is taken over with a warning, contenders that all
// see one stale lock never both end up holding it, and two real processes on
// one root serialise with intact journals.

import { promises as fs, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { main } from '../../src/cli/main.js';
import { parseJournal } from '../../src/apply/journal.js';
import { acquireLock, type HeldLock } from '../../src/apply/lock.js';
import { processStartTime } from '../../src/host/process-info.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import type { Host } from '../../src/host/types.js';
import { UserError } from '../../src/errors.js';
import { ChildGroup } from '../helpers/child-group.js';
import { bin, ensureBuilt, repo } from '../safety/built-cli.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput, snapshot } from '../safety/snapshot.js';

let s: Scenario;
// Lock holders (sleep) and real applies: gone before their test's root is removed.
const children = new ChildGroup();
beforeEach(async () => {
  s = await makeScenario();
});
afterEach(async () => {
  await children.stopAll();
  await s.cleanup();
});

const lockFile = () => s.root.path('/var/lib/reconcile/lock');

async function writeLock(pid: number, runId = '20260101T000000Z-abcdef', started = '2026-01-01T00:00:00.000Z', extra: object = {}) {
  await writeRaw(JSON.stringify({ pid, host: os.hostname(), started, runId, ...extra }) + '\n');
}

async function writeRaw(content: string, ageSeconds = 0, file = lockFile()) {
  await fs.mkdir(s.root.path('/var/lib/reconcile'), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, content, { mode: 0o600 });
  if (ageSeconds > 0) {
    const t = new Date(Date.now() - ageSeconds * 1000);
    await fs.utimes(file, t, t);
  }
}

/** A pid that was just in use and is now free (its process has exited and been reaped). */
async function deadPid(): Promise<number> {
  const gone = execa('true');
  await gone;
  return gone.pid!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * This process's attempts to create the lock, as seen in the state dir: each
 * attempt writes a temp file named with the pid (.lock.reconcile-PID-*.tmp)
 * and links it into place. Proves that an apply waited (tried again) or did
 * not, without measuring time.
 */
function watchLockAttempts(stateDir: string) {
  const attempts = new Set<string>();
  const mine = `.lock.reconcile-${process.pid}-`;
  const FLUSH = '.flush-marker';
  const waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];
  let flushed = false;
  const watcher = watch(stateDir, (_, name) => {
    const n = name === null ? '' : String(name);
    if (n.startsWith(mine)) attempts.add(n);
    if (n === FLUSH) flushed = true;
    for (const w of [...waiters]) if (w.ready()) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
  });
  const until = (ready: () => boolean) => new Promise<void>((resolve) => (ready() ? resolve() : waiters.push({ ready, resolve })));
  return {
    /** Resolves once `n` attempts were seen. */
    atLeast: (n: number) => until(() => attempts.size >= n),
    /** Every attempt made so far (inotify reports events in order: a marker written now comes after them), and stops watching. */
    async count(): Promise<number> {
      await fs.writeFile(path.join(stateDir, FLUSH), '');
      await until(() => flushed);
      watcher.close();
      await fs.rm(path.join(stateDir, FLUSH));
      return attempts.size;
    },
  };
}
const MUTATIONS = new Set(['createExclusive', 'unlink', 'rename', 'writeFileAtomic']);

/**
 * The host as one contender sees it: after each read of the lock file, its next
 * change to the state dir waits `pause()` ms, as a busy machine may deschedule a
 * process right between reading the stale owner and acting on it.
 */
function pausingHost(root: string, lockPath: string, pause: () => number): Host {
  const host = new RootedHost(root);
  let readLockFile = false;
  return new Proxy(host, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'readText' || prop === 'readFile') {
        return async (...args: unknown[]) => {
          const r = await value.apply(target, args);
          if (args[0] === lockPath) readLockFile = true;
          return r;
        };
      }
      if (MUTATIONS.has(prop as string)) {
        return async (...args: unknown[]) => {
          if (readLockFile) {
            readLockFile = false;
            await sleep(pause());
          }
          return value.apply(target, args);
        };
      }
      return value.bind(target);
    },
  }) as Host;
}

/** Several acquireLock calls at once; exactly one must hold the lock, and the lock file must name it. */
async function race(hosts: Host[]): Promise<{ held: HeldLock; winner: string; losers: unknown[] }> {
  const lockPath = '/var/lib/reconcile/lock';
  const results = await Promise.allSettled(hosts.map((h, i) => acquireLock(h, lockPath, `run-${i}`, 0)));
  const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ held: r.value, winner: `run-${i}` }] : []));
  expect(won.map((w) => w.winner)).toHaveLength(1);
  const { held, winner } = won[0]!;
  expect(JSON.parse(await fs.readFile(lockFile(), 'utf8')).runId).toBe(winner);
  const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  const owner = `(pid ${process.pid} on ${os.hostname()}, run ${winner}, started `;
  for (const err of losers) {
    expect(err).toBeInstanceOf(UserError);
    // Each loser names the winner: as the holder, or, when the winner's
    // takeover outlasted the loser's grace period (a loaded machine), as the
    // process taking the stale lock over.
    const message = (err as Error).message;
    if (message.includes('has been taking it over')) expect(message).toContain(`another process ${owner}`);
    else expect(message).toContain(`another apply holds the lock /var/lib/reconcile/lock ${owner}`);
  }
  return { held, winner, losers };
}

async function apply(...extra: string[]) {
  const io = captureOutput();
  const code = await main(['--apply', '--desired', s.desired, '--root', s.root.dir, ...extra], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('the apply lock', () => {
  it('fails at once, naming the holder (pid, host, start time), while another apply holds it', async () => {
    const holder = children.start('sleep', ['30']);
    try {
      await writeLock(holder.pid!);
      const before = await snapshot(s.root.dir);
      const attempts = watchLockAttempts(s.root.path('/var/lib/reconcile'));
      const r = await apply();
      // At once: one attempt, not a retry while the holder runs on.
      expect(await attempts.count()).toBe(1);
      expect(holder.exitCode).toBeNull();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pid ${holder.pid} on ${os.hostname()}`);
      expect(r.stderr).toContain('started 2026-01-01T00:00:00.000Z');
      expect(r.stderr).toContain('--lock-timeout');
      expect(r.stderr).not.toMatch(/another machine|by hand/);
      expect(await snapshot(s.root.dir)).toEqual(before);
      // A rollback takes the same lock.
      const rb = captureOutput();
      expect(await main(['--rollback', '--root', s.root.dir], rb)).toBe(1);
    } finally {
      holder.kill();
    }
  });

  it('waits up to --lock-timeout for the holder to finish', async () => {
    const holder = children.start('sleep', ['30']);
    try {
      await writeLock(holder.pid!);
      const attempts = watchLockAttempts(s.root.path('/var/lib/reconcile'));
      let finished = false;
      const running = apply('--lock-timeout', '600').finally(() => (finished = true));
      // It tried, found the lock held, and tried again: it is waiting. Only then does the holder finish.
      await attempts.atLeast(2);
      expect(finished).toBe(false);
      await fs.unlink(lockFile());
      const r = await running;
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('The host is converged.');
      await attempts.count();
    } finally {
      holder.kill();
    }
  });

  it('gives up after --lock-timeout when the holder stays', async () => {
    const holder = children.start('sleep', ['30']);
    try {
      await writeLock(holder.pid!);
      const attempts = watchLockAttempts(s.root.path('/var/lib/reconcile'));
      const r = await apply('--lock-timeout', '0.5');
      expect(r.code).toBe(1);
      // It waited: tried more than once while the holder stayed.
      expect(await attempts.count()).toBeGreaterThan(1);
      expect(holder.exitCode).toBeNull();
      expect(r.stderr).toContain(`pid ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it('takes over a lock whose process is gone, with a warning naming it', async () => {
    const pid = await deadPid();
    await writeLock(pid, '20260101T000000Z-deadbe');
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`warning: took over a stale lock: run 20260101T000000Z-deadbe (pid ${pid}, started 2026-01-01T00:00:00.000Z) is gone.`);
    await expect(fs.lstat(lockFile())).rejects.toThrow();
  });

  it('takes over a lock whose pid is alive but belongs to a process that started at another time (pid reuse)', async () => {
    const mine = await processStartTime(process.pid);
    expect(mine).toEqual(expect.any(Number));
    await writeLock(process.pid, '20260101T000000Z-reused', undefined, { processStart: mine! + 12345 });
    const r = await apply();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `warning: took over a stale lock: run 20260101T000000Z-reused (pid ${process.pid}, started 2026-01-01T00:00:00.000Z) is gone; pid ${process.pid} now belongs to another process.`,
    );
  });

  it('does not take over a live holder whose start time matches, nor an old lock file without a start time', async () => {
    for (const extra of [{ processStart: await processStartTime(process.pid) }, {}]) {
      await writeLock(process.pid, '20260101T000000Z-itself', undefined, extra);
      const r = await apply();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`another apply holds the lock /var/lib/reconcile/lock (pid ${process.pid} on ${os.hostname()}, run 20260101T000000Z-itself`);
    }
  });

  it('takes over an empty lock file older than 10 s, saying it was empty and how old', async () => {
    await writeRaw('', 60);
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: took over a stale lock: the lock file is empty and was last written 6\d s ago \(left by an apply that died while taking it\)\./);
    await expect(fs.lstat(lockFile())).rejects.toThrow();
  });

  it('does not take over a fresh empty lock file: fails naming it, saying it is empty and how old', async () => {
    await writeRaw('', 2);
    const before = await snapshot(s.root.dir);
    const r = await apply();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the apply lock file \/var\/lib\/reconcile\/lock is empty and was last written [23] s ago, so it names no holder/);
    expect(r.stderr).not.toMatch(/another machine|by hand/);
    expect(await snapshot(s.root.dir)).toEqual(before);
    expect(await fs.readFile(lockFile(), 'utf8')).toBe('');
  });

  it('takes over an unparsable lock file older than 10 s, and names a fresh one as not a valid lock', async () => {
    await writeRaw('{"pid": 12', 2);
    const fresh = await apply();
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain('the apply lock file /var/lib/reconcile/lock does not hold a valid lock');
    await writeRaw('{"pid": 12', 30);
    const old = await apply();
    expect(old.code).toBe(0);
    expect(old.stdout).toMatch(/warning: took over a stale lock: the lock file does not hold a valid lock .* last written 3\d s ago/);
  });

  it('says the holder is on another machine only when the lock says so', async () => {
    await writeRaw(JSON.stringify({ pid: 1, host: 'other-node', started: '2026-01-01T00:00:00.000Z', runId: 'r-remote' }) + '\n', 3600);
    const r = await apply();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(pid 1 on other-node, run r-remote, started 2026-01-01T00:00:00.000Z)');
    expect(r.stderr).toContain('another machine (other-node');
    expect(r.stderr).toContain('remove /var/lib/reconcile/lock by hand');
  });
});

describe('stale-lock takeover with several contenders (one process, deterministic interleaving)', () => {
  const lockPath = '/var/lib/reconcile/lock';

  // The reviewer's race: both read the same stale owner; one is held up right
  // after reading it. Before the fix the late one removed the winner's new lock.
  it.each([
    ['the second', [0, 50]],
    ['the first', [50, 0]],
  ])('%s contender paused between reading the stale owner and acting: exactly one holds the lock', async (_, pauses) => {
    await writeLock(await deadPid(), 'dead-run');
    const hosts = (pauses as number[]).map((ms) => pausingHost(s.root.dir, lockPath, () => ms));
    const { held, winner } = await race(hosts);
    // The winner still holds it after every contender has finished.
    await sleep(100);
    expect(JSON.parse(await fs.readFile(lockFile(), 'utf8')).runId).toBe(winner);
    await held.release();
    expect(await fs.readdir(s.root.path('/var/lib/reconcile'))).toEqual([]);
  });

  it('six contenders with random pauses, twenty rounds: never two holders, no takeover lock left', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 30;
    for (let round = 0; round < 20; round++) {
      await writeLock(await deadPid(), `dead-${round}`);
      const { held } = await race(Array.from({ length: 6 }, () => pausingHost(s.root.dir, lockPath, random)));
      await held.release();
      expect(await fs.readdir(s.root.path('/var/lib/reconcile'))).toEqual([]);
    }
  });

  it('waits for a takeover in progress, and gives up naming it when it never ends', async () => {
    const holder = children.start('sleep', ['30']);
    try {
      await writeLock(await deadPid(), 'dead-run');
      const guard = `${lockFile()}.takeover`;
      await writeRaw(JSON.stringify({ pid: holder.pid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', runId: 'taking' }) + '\n', 60, guard);
      // The takeover lock is old, but its process is alive: it is not removed.
      const attempts = watchLockAttempts(s.root.path('/var/lib/reconcile'));
      const r = await apply();
      expect(r.code).toBe(1);
      // It waited for the takeover to end (tried again), though --lock-timeout is 0.
      expect(await attempts.count()).toBeGreaterThan(1);
      expect(holder.exitCode).toBeNull();
      expect(r.stderr).toContain('the apply lock /var/lib/reconcile/lock is stale (run dead-run');
      expect(r.stderr).toContain(`another process (pid ${holder.pid} on ${os.hostname()}, run taking,`);
      expect(r.stderr).toContain('/var/lib/reconcile/lock.takeover');
      // Once its process is gone, an old takeover lock is removed and the stale lock taken over.
      holder.kill();
      await holder;
      const r2 = await apply();
      expect(r2.code).toBe(0);
      expect(r2.stdout).toContain('warning: took over a stale lock: run dead-run');
      await expect(fs.lstat(guard)).rejects.toThrow();
    } finally {
      holder.kill();
    }
  });

  it('leaves a fresh takeover lock of a process that is gone alone for 30 s', async () => {
    await writeLock(await deadPid(), 'dead-run');
    await writeRaw(JSON.stringify({ pid: await deadPid(), host: os.hostname(), started: 'x', runId: 'gone' }) + '\n', 5, `${lockFile()}.takeover`);
    const r = await apply();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is stale (run dead-run');
  });
});

describe('two applies at once on one root (real processes)', () => {
  beforeAll(async () => {
    await ensureBuilt();
  });

  it('serialise: one applies, the other waits, plans again under the lock and finds nothing to do; both exit 0, one whole journal', async () => {
    const args = ['--apply', '--desired', s.desired, '--root', s.root.dir, '--lock-timeout', '30', '--format', 'json'];
    // Both plan while a third holds the lock, and race for it when it goes.
    // The lock is released only once both are waiting for it (each attempt to
    // create the lock makes a temp file named with the process's pid), so both
    // have planned the changes, and both take the lock in turn: the first
    // applies everything, the second finds every change done and skips it.
    const holder = children.start('sleep', ['30']);
    await writeLock(holder.pid!);
    const seen = new Set<string>();
    const watcher = watch(s.root.path('/var/lib/reconcile'), (_, name) => name && seen.add(String(name)));
    const start = () => children.start('node', [bin, ...args], { cwd: repo });
    const applies = [start(), start()];
    const waiting = (pid: number) => [...seen].some((n) => n.includes(`-${pid}-`));
    while (!applies.every((c) => waiting(c.pid!))) await sleep(20);
    watcher.close();
    await fs.unlink(lockFile());
    holder.kill();
    const [a, b] = (await Promise.all(applies)).map((r) => ({ code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) }));
    expect([a!.stderr, b!.stderr]).toEqual(['', '']);
    expect([a!.code, b!.code]).toEqual([0, 0]);
    const io = captureOutput();
    expect(await main(['--plan', '--desired', s.desired, '--root', s.root.dir], io)).toBe(0);

    // The second plans again once it holds the lock (issue 9), finds nothing
    // left to do and writes nothing: one run, one whole journal.
    const runs = (await fs.readdir(s.root.path('/var/lib/reconcile/runs'))).sort();
    expect(runs).toHaveLength(1);
    const journal = parseJournal(await fs.readFile(s.root.path(`/var/lib/reconcile/runs/${runs[0]}/journal.jsonl`), 'utf8'));
    expect(journal[0]?.type).toBe('start');
    expect(journal.at(-1)?.type).toBe('end');
    const begun = journal.filter((e) => e.type === 'begin').map((e) => (e as { seq: number }).seq);
    const finished = journal.filter((e) => e.type === 'outcome').map((e) => (e as { seq: number }).seq);
    expect(begun.every((seq) => finished.includes(seq))).toBe(true);
    // Each change was applied once, by one of them; the other had nothing to do.
    const outcomes = [a, b].map((r) => (JSON.parse(r!.stdout) as { outcomes: { status: string }[] }).outcomes.map((o) => o.status));
    const counts = outcomes.map((o) => o.length).sort();
    expect(counts[0]).toBe(0);
    expect(counts[1]).toBeGreaterThan(0);
    expect(outcomes.flat().every((st) => st === 'applied')).toBe(true);
  });
});
