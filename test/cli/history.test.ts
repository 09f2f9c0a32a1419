// --history: runs with id, time, who, what changed and outcome; interrupted
// runs (a start, no end, holder gone) are shown as such and reported once by
// the next apply.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import { main } from '../../src/cli/main.js';
import { ChildGroup } from '../helpers/child-group.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput } from '../safety/snapshot.js';

let s: Scenario;
const children = new ChildGroup();
beforeEach(async () => {
  s = await makeScenario();
});
afterEach(async () => {
  await s.cleanup();
});

async function cli(...args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

interface HistoryJson {
  root: string;
  stateDir: string;
  runs: {
    runId: string;
    time: string;
    user: string;
    hostname: string;
    operation: string;
    outcome: string;
    counts: Record<string, number>;
    targets: { target: string; kind: string; action: string; status: string; message?: string }[];
  }[];
}

const history = async () => JSON.parse((await cli('--history', '--root', s.root.dir, '--format', 'json')).stdout) as HistoryJson;

/** A journal as a run killed mid-change leaves it: start, a begin, no outcome, no end. */
async function plantInterruptedRun(runId: string, pid: number, withLock = false): Promise<void> {
  const dir = s.root.path(`/var/lib/reconcile/runs/${runId}`);
  await fs.mkdir(dir, { recursive: true });
  const change = {
    resource: 'managed',
    kind: 'file',
    target: '/etc/managed.conf',
    action: 'update',
    summary: 'update /etc/managed.conf: content',
    expect: { type: 'absent' },
    op: { type: 'write-file', contentBase64: '', mode: 420, uid: 0, gid: 0 },
  };
  const lines = [
    { type: 'start', runId, time: '2026-01-31T10:00:00.000Z', user: 'alice (as root)', hostname: os.hostname(), pid, root: s.root.dir, operation: 'apply', desired: [] },
    { type: 'begin', seq: 0, time: '2026-01-31T10:00:00.100Z', change, backups: [], before: { type: 'absent' } },
  ];
  // The last line torn by the kill.
  await fs.writeFile(`${dir}/journal.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"type":"outc');
  if (withLock) {
    await fs.writeFile(s.root.path('/var/lib/reconcile/lock'), JSON.stringify({ pid, host: os.hostname(), started: '2026-01-31T10:00:00.000Z', runId }));
  }
}

async function deadPid(): Promise<number> {
  const p = execa('true');
  const pid = p.pid!;
  await p;
  return pid;
}

describe('--history', () => {
  it('says so when there are no runs', async () => {
    const r = await cli('--history', '--root', s.root.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`No runs recorded in /var/lib/reconcile (root ${s.root.dir}).\n`);
  });

  it('lists each run: id, time, who, outcome, counts and every target', async () => {
    expect((await cli('--apply', '--desired', s.desired, '--root', s.root.dir)).code).toBe(0);
    const h = await history();
    expect(h.runs).toHaveLength(1);
    const run = h.runs[0]!;
    expect(run).toMatchObject({ operation: 'apply', outcome: 'converged', hostname: os.hostname(), user: os.userInfo().username });
    expect(run.counts.applied).toBe(run.targets.length);
    expect(run.targets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target: '/etc/gone.conf', kind: 'file', action: 'delete', status: 'applied' }),
        expect.objectContaining({ target: 'video', kind: 'group', action: 'update' }),
        expect.objectContaining({ target: '/usr/local/bin/nvidia-smi', kind: 'absent', action: 'delete' }),
      ]),
    );
    const text = await cli('--history', '--root', s.root.dir);
    expect(text.stdout).toContain(`${run.runId}  apply  converged  ${run.time}  by ${run.user} on ${run.hostname}`);
    expect(text.stdout).toContain('  - /etc/gone.conf  (file gone)');
    expect(text.stdout).toContain(`  ${run.counts.applied} applied`);
  });

  it('says how big each run\'s backups are', async () => {
    const applied = await cli('--apply', '--desired', s.desired, '--root', s.root.dir, '--format', 'json');
    const run = (await history()).runs[0]! as unknown as { runId: string; backupBytes: number };
    // The bytes of every copy on disk (not the .meta.json beside each).
    let onDisk = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(`${dir}/${e.name}`);
        else if (!e.name.endsWith('.meta.json')) onDisk += (await fs.stat(`${dir}/${e.name}`)).size;
      }
    };
    await walk(s.root.path(`/var/lib/reconcile/backups/${run.runId}`));
    expect(onDisk).toBeGreaterThan(0);
    expect(run.backupBytes).toBe(onDisk);
    expect(JSON.parse(applied.stdout).backupBytes).toBe(onDisk);
    const text = await cli('--history', '--root', s.root.dir);
    expect(text.stdout).toContain(`; backups ${onDisk} bytes`);
  });

  it('shows a skipped change with its reason', async () => {
    const { buildPlan } = await import('../../src/plan/build-plan.js');
    const { applyPlan } = await import('../../src/apply/apply-plan.js');
    const { RootedHost } = await import('../../src/host/rooted-host.js');
    const { loadDesiredState } = await import('../../src/model/load.js');
    const host = new RootedHost(s.root.dir);
    const plan = await buildPlan(host, (await loadDesiredState(s.desired)).resources);
    // Someone edits a target between plan and apply.
    await fs.writeFile(s.root.path('/etc/gone.conf'), 'changed meanwhile\n');
    await applyPlan(host, plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 0, desiredFiles: [s.desired] });
    const run = (await history()).runs[0]!;
    expect(run.outcome).toBe('failed');
    expect(run.targets.find((t) => t.target === '/etc/gone.conf')).toMatchObject({ status: 'skipped', message: expect.stringContaining('changed since it was planned') });
  });

  it('shows an interrupted run, and the next apply reports it once by id', async () => {
    await plantInterruptedRun('20260131T100000Z-0a0b0c', await deadPid(), true);
    const run = (await history()).runs[0]!;
    expect(run).toMatchObject({ runId: '20260131T100000Z-0a0b0c', outcome: 'interrupted', counts: { interrupted: 1 } });

    const first = await cli('--apply', '--desired', s.desired, '--root', s.root.dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'warning: the previous apply run 20260131T100000Z-0a0b0c (started 2026-01-31T10:00:00.000Z by alice (as root), pid',
    );
    expect(first.stdout).toContain('it was changing /etc/managed.conf');
    expect(first.stdout).toContain('reconcile --rollback 20260131T100000Z-0a0b0c');
    // Reported once: it stays interrupted in the history, but is not warned about again.
    await fs.writeFile(s.root.path('/etc/gone.conf'), 'back again\n');
    const second = await cli('--apply', '--desired', s.desired, '--root', s.root.dir);
    expect(second.stdout).not.toContain('was interrupted');
    expect((await history()).runs.find((r) => r.runId === '20260131T100000Z-0a0b0c')?.outcome).toBe('interrupted');
  });

  it('reports an interrupted run even when the next apply has nothing to do', async () => {
    expect((await cli('--apply', '--desired', s.desired, '--root', s.root.dir)).code).toBe(0);
    await plantInterruptedRun('20260131T100000Z-0a0b0d', await deadPid());
    const r = await cli('--apply', '--desired', s.desired, '--root', s.root.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning: the previous apply run 20260131T100000Z-0a0b0d');
  });

  it('shows a run whose process still holds the lock as running, and does not report it', async () => {
    const holder = children.start('sleep', ['30']);
    try {
      await plantInterruptedRun('20260131T100000Z-0a0b0e', holder.pid!, true);
      expect((await history()).runs[0]!.outcome).toBe('running');
      const plan = await cli('--apply', '--desired', s.desired, '--root', s.root.dir);
      expect(plan.stdout).not.toContain('was interrupted');
    } finally {
      await children.stopAll();
    }
  });

  it('refuses --format markdown', async () => {
    const r = await cli('--history', '--root', s.root.dir, '--format', 'markdown');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--history prints text or json');
  });
});
