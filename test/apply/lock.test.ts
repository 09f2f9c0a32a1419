// One apply at a time per root: a held lock fails at once naming its holder,
// --lock-timeout waits, a dead holder's lock is taken over with a warning,
// and two real processes on one root serialise with intact journals.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import { main } from '../../src/cli/main.js';
import { parseJournal } from '../../src/apply/journal.js';
import { ensureBuilt, runCli } from '../safety/built-cli.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput, snapshot } from '../safety/snapshot.js';

let s: Scenario;
beforeEach(async () => {
  s = await makeScenario();
});
afterEach(async () => {
  await s.cleanup();
});

const lockFile = () => s.root.path('/var/lib/reconcile/lock');

async function writeLock(pid: number, runId = '20260101T000000Z-abcdef', started = '2026-01-01T00:00:00.000Z') {
  await fs.mkdir(s.root.path('/var/lib/reconcile'), { recursive: true, mode: 0o700 });
  await fs.writeFile(lockFile(), JSON.stringify({ pid, host: os.hostname(), started, runId }) + '\n', { mode: 0o600 });
}

async function apply(...extra: string[]) {
  const io = captureOutput();
  const code = await main(['--apply', '--desired', s.desired, '--root', s.root.dir, ...extra], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('the apply lock', () => {
  it('fails at once, naming the holder (pid, host, start time), while another apply holds it', async () => {
    const holder = execa('sleep', ['30'], { reject: false });
    try {
      await writeLock(holder.pid!);
      const before = await snapshot(s.root.dir);
      const t0 = Date.now();
      const r = await apply();
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pid ${holder.pid} on ${os.hostname()}`);
      expect(r.stderr).toContain('started 2026-01-01T00:00:00.000Z');
      expect(r.stderr).toContain('--lock-timeout');
      expect(await snapshot(s.root.dir)).toEqual(before);
      // A rollback takes the same lock.
      const rb = captureOutput();
      expect(await main(['--rollback', '--root', s.root.dir], rb)).toBe(1);
    } finally {
      holder.kill();
    }
  });

  it('waits up to --lock-timeout for the holder to finish', async () => {
    const holder = execa('sleep', ['30'], { reject: false });
    try {
      await writeLock(holder.pid!);
      setTimeout(() => void fs.unlink(lockFile()), 600);
      const t0 = Date.now();
      const r = await apply('--lock-timeout', '10');
      expect(r.code).toBe(0);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
      expect(r.stdout).toContain('The host is converged.');
    } finally {
      holder.kill();
    }
  });

  it('gives up after --lock-timeout when the holder stays', async () => {
    const holder = execa('sleep', ['30'], { reject: false });
    try {
      await writeLock(holder.pid!);
      const t0 = Date.now();
      const r = await apply('--lock-timeout', '0.5');
      expect(r.code).toBe(1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
      expect(r.stderr).toContain(`pid ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it('takes over a lock whose process is gone, with a warning naming it', async () => {
    const gone = execa('true');
    const pid = gone.pid!;
    await gone;
    await writeLock(pid, '20260101T000000Z-deadbe');
    const r = await apply();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`warning: took over a stale lock: run 20260101T000000Z-deadbe (pid ${pid}, started 2026-01-01T00:00:00.000Z) is gone.`);
    await expect(fs.lstat(lockFile())).rejects.toThrow();
  });
});

describe('two applies at once on one root (real processes)', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 60_000);

  it('serialise: one applies, the other waits; the host converges and both journals are whole', async () => {
    const args = ['--apply', '--desired', s.desired, '--root', s.root.dir, '--lock-timeout', '30', '--format', 'json'];
    // Both start while a third holds the lock, then race for it when it goes.
    const holder = execa('sleep', ['30'], { reject: false });
    await writeLock(holder.pid!);
    setTimeout(() => {
      void fs.unlink(lockFile());
      holder.kill();
    }, 1500);
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    for (const r of [a, b]) expect(r.stderr).not.toMatch(/internal error/);
    const io = captureOutput();
    expect(await main(['--plan', '--desired', s.desired, '--root', s.root.dir], io)).toBe(0);

    const runs = (await fs.readdir(s.root.path('/var/lib/reconcile/runs'))).sort();
    const journals = await Promise.all(
      runs.map(async (id) => parseJournal(await fs.readFile(s.root.path(`/var/lib/reconcile/runs/${id}/journal.jsonl`), 'utf8'))),
    );
    // Every journal is whole: a start, an end, each begin with its outcome.
    for (const j of journals) {
      expect(j[0]?.type).toBe('start');
      expect(j.at(-1)?.type).toBe('end');
      const begun = j.filter((e) => e.type === 'begin').map((e) => (e as { seq: number }).seq);
      const finished = j.filter((e) => e.type === 'outcome').map((e) => (e as { seq: number }).seq);
      expect(begun.every((seq) => finished.includes(seq))).toBe(true);
    }
    // Never interleaved: one run ends before the other starts.
    if (journals.length === 2) {
      const [x, y] = journals.map((j) => ({ start: (j[0] as { time: string }).time, end: (j.at(-1) as { time: string }).time }));
      expect(x!.end <= y!.start || y!.end <= x!.start).toBe(true);
    }
    // Each change was applied once: the later process found it done (skipped) or had nothing to do.
    const applied = journals.flatMap((j) => j.filter((e) => e.type === 'outcome' && e.status === 'applied'));
    const planned = (JSON.parse(a.stdout) as { outcomes: unknown[] }).outcomes.length || (JSON.parse(b.stdout) as { outcomes: unknown[] }).outcomes.length;
    expect(applied.length).toBe(planned);
  }, 60_000);
});
