// Retention: old runs (journal + backups) are pruned after an apply, keeping
// the newest N runs or the last D days, whichever keeps more; never the
// newest run, a running or interrupted one, the default --rollback target,
// or a rollback apart from the run it undid. Before, nothing was ever pruned.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../../src/apply/history.js';
import { parseJournal } from '../../src/apply/journal.js';
import { runsToPrune } from '../../src/apply/retention.js';
import { main } from '../../src/cli/main.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { captureOutput } from '../safety/snapshot.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();

function run(runId: string, age: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    time: daysAgo(age),
    user: 'root',
    hostname: 'h',
    pid: 1,
    root: '/',
    operation: 'apply',
    desired: [],
    outcome: 'converged',
    steps: [{ seq: 0, began: true, change: {} as never, backups: [], before: { type: 'absent' }, status: 'applied' }],
    ...extra,
  };
}
const ids = (runs: RunRecord[]) => runs.map((r) => r.runId);

describe('runsToPrune', () => {
  const policy = { keepRuns: 2, keepDays: 30 };

  it('keeps the newest N runs and those younger than D days, whichever keeps more', () => {
    const runs = [run('a', 90), run('b', 60), run('c', 40), run('d', 20), run('e', 10), run('f', 5)];
    expect(ids(runsToPrune(runs, policy, NOW, 'x'))).toEqual(['a', 'b', 'c']);
    // Old runs only: the newest two stay.
    const old = [run('a', 90), run('b', 80), run('c', 70)];
    expect(ids(runsToPrune(old, policy, NOW, 'x'))).toEqual(['a']);
    expect(ids(runsToPrune(old, { keepRuns: 20, keepDays: 30 }, NOW, 'x'))).toEqual([]);
  });

  it('never prunes an interrupted or running run, the current run, or the default --rollback target', () => {
    const runs = [
      run('old', 90),
      run('dead', 85, { outcome: 'interrupted' }),
      run('live', 84, { outcome: 'running' }),
      run('cur', 83),
      run('target', 82),
      // Newer runs that the default --rollback would not pick: rollback-of-nothing and a run that changed nothing.
      run('nochange', 1, { steps: [] }),
      run('failed', 0, { steps: [], outcome: 'failed' }),
    ];
    expect(ids(runsToPrune(runs, policy, NOW, 'cur'))).toEqual(['old']);
  });

  it('keeps the runs that hold a live prune: true create (a later plan deletes that path only through them)', () => {
    const created = (runId: string, age: number, target: string, action: 'create' | 'update' | 'delete', prune?: true) =>
      run(runId, age, {
        steps: [{ seq: 0, began: true, change: { target, action, ...(prune ? { prune } : {}) } as never, backups: [], before: { type: 'absent' }, status: 'applied' }],
      });
    const runs = [
      created('made', 90, '/etc/cron.d/job', 'create', true),
      created('edited', 80, '/etc/cron.d/job', 'update'),
      created('gone', 70, '/etc/old', 'create', true),
      created('removed', 69, '/etc/old', 'delete'),
      run('a', 10),
      run('b', 5),
    ];
    // /etc/old's claim ended with its delete: those runs may go; /etc/cron.d/job's create and its later update stay.
    expect(ids(runsToPrune(runs, policy, NOW, 'x'))).toEqual(['gone', 'removed']);
  });

  it('prunes a run and its rollbacks together or not at all', () => {
    const runs = [run('a1', 90), run('a2', 80), run('r', 70, { operation: 'rollback', rollbackOf: 'a2' }), run('a3', 60), run('a4', 50)];
    // keepRuns 3 keeps r, so a2 (the run it undid) stays too; pruning r alone would make a2 a --rollback target again.
    expect(ids(runsToPrune(runs, { keepRuns: 3, keepDays: 0 }, NOW, 'x'))).toEqual(['a1']);
    expect(ids(runsToPrune(runs, { keepRuns: 2, keepDays: 0 }, NOW, 'x'))).toEqual(['a1', 'a2', 'r']);
  });
});

describe('--apply prunes old runs', () => {
  let root: TempRoot;
  let desired: string;
  beforeEach(async () => {
    root = await makeRoot({ 'etc/app.conf': 'v0\n', 'var/lib': { type: 'dir' } });
    desired = `${root.dir}-desired.yaml`;
  });
  afterEach(async () => {
    await root.cleanup();
    await fs.rm(desired, { force: true });
  });

  async function applyVersion(i: number, ...extra: string[]) {
    await fs.writeFile(desired, `version: 1\nresources:\n  - {id: app, kind: file, path: /etc/app.conf, content: "v${i}\\n"}\n`);
    const io = captureOutput();
    const code = await main(['--apply', '--desired', desired, '--root', root.dir, ...extra], io);
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    return io.stdout;
  }
  const state = (p: string) => root.path(path.posix.join('/var/lib/reconcile', p));
  /** Run ids oldest first (ids made in the same second do not sort by time). */
  async function runsInOrder(): Promise<string[]> {
    const ids = await fs.readdir(state('runs'));
    const started = async (id: string) => (parseJournal(await fs.readFile(state(`runs/${id}/journal.jsonl`), 'utf8'))[0] as { time: string }).time;
    const times = new Map(await Promise.all(ids.map(async (id) => [id, await started(id)] as const)));
    return ids.sort((a, b) => (times.get(a)! < times.get(b)! ? -1 : 1));
  }

  it('keeps the newest --keep-runs runs when --keep-days 0, says what it pruned, and journals it', async () => {
    for (let i = 1; i <= 4; i++) await applyVersion(i);
    const before = await runsInOrder();
    expect(before).toHaveLength(4);
    // The default (20 runs, 30 days) pruned nothing.
    expect((await fs.readdir(state('backups'))).sort()).toEqual([...before].sort());

    const out = await applyVersion(5, '--keep-runs', '2', '--keep-days', '0');
    expect(out).toMatch(/Pruned 3 old runs \(9 bytes of backups\): /);
    const after = await runsInOrder();
    expect(after).toHaveLength(2);
    expect(after[0]).toBe(before[3]);
    expect((await fs.readdir(state('backups'))).sort()).toEqual([...after].sort());
    const journal = parseJournal(await fs.readFile(state(`runs/${after[1]}/journal.jsonl`), 'utf8'));
    expect(journal.find((e) => e.type === 'pruned')).toMatchObject({ runs: before.slice(0, 3), bytes: 9 });

    // History reads what is left; the latest run can still be rolled back.
    const io = captureOutput();
    expect(await main(['--rollback', '--root', root.dir], io)).toBe(0);
    expect(await fs.readFile(root.path('/etc/app.conf'), 'utf8')).toBe('v4\n');
  });

  it('never prunes a damaged run (nor its backups); --format json reports what it pruned', async () => {
    for (let i = 1; i <= 3; i++) await applyVersion(i);
    const [oldest, second, third] = await runsInOrder();
    // One null line makes the oldest run damaged: it is reported, never acted on, and left for a person.
    await fs.appendFile(state(`runs/${oldest}/journal.jsonl`), 'null\n');
    await fs.writeFile(desired, `version: 1\nresources:\n  - {id: app, kind: file, path: /etc/app.conf, content: "v9\\n"}\n`);
    const io = captureOutput();
    expect(await main(['--apply', '--desired', desired, '--root', root.dir, '--format', 'json', '--keep-runs', '1', '--keep-days', '0'], io)).toBe(0);
    const out = JSON.parse(io.stdout) as { runId: string; pruned?: { runs: string[]; bytes: number } };
    // The third run is what a plain --rollback undoes while this one runs: kept too.
    expect(out.pruned).toEqual({ runs: [second], bytes: 3 });
    expect((await fs.readdir(state('runs'))).sort()).toEqual([oldest!, third!, out.runId].sort());
    expect((await fs.readdir(state('backups'))).sort()).toEqual([oldest!, third!, out.runId].sort());
  });

  it('refuses a bad --keep-runs with a usage error', async () => {
    const io = captureOutput();
    expect(await main(['--apply', '--keep-runs', '0', '--root', root.dir], io)).toBe(1);
    expect(io.stderr).toMatch(/--keep-runs takes a whole number of runs, at least 1/);
    expect(await main(['--plan', '--keep-days', '3', '--root', root.dir], io)).toBe(1);
    expect(io.stderr).toMatch(/--keep-days does not apply to --plan/);
  });
});
