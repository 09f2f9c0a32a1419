// --rollback from the command line: run ids checked, nothing to roll back,
// JSON output, and the rollback of a run killed half way puts back exactly
// what it had done.

import { promises as fs } from 'node:fs';
import { main } from '../../src/cli/main.js';
import { ensureBuilt, runCli } from '../safety/built-cli.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput, snapshot } from '../safety/snapshot.js';

const scenarios: Scenario[] = [];
async function fresh(): Promise<Scenario> {
  const s = await makeScenario();
  scenarios.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(scenarios.map((s) => s.cleanup()));
});

async function cli(...args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('--rollback arguments', () => {
  it('refuses something that is not a run id, and a run that does not exist', async () => {
    const s = await fresh();
    const bad = await cli('--rollback', 'latest', '--root', s.root.dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"latest" is not a run id');
    const missing = await cli('--rollback', '20260131T100000Z-abcdef', '--root', s.root.dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('there is no run 20260131T100000Z-abcdef in /var/lib/reconcile/runs');
    expect(missing.stderr).toContain('--history');
  });

  it('says there is nothing to roll back on a host never applied', async () => {
    const s = await fresh();
    const r = await cli('--rollback', '--root', s.root.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^reconcile: error: no apply run to roll back in \/var\/lib\/reconcile\/runs/);
  });

  it('prints JSON with the rollback run, the run it undid and every outcome', async () => {
    const s = await fresh();
    const before = await snapshot(s.root.dir);
    await cli('--apply', '--desired', s.desired, '--root', s.root.dir);
    const r = await cli('--rollback', '--root', s.root.dir, '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(json.rollbackOf).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(json.summary).toMatchObject({ skipped: 0, failed: 0 });
    expect(json.outcomes.every((o: { status: string }) => o.status === 'applied')).toBe(true);
    expect(await snapshot(s.root.dir)).toEqual(before);
  });

  it('uses --state-dir for journals and backups', async () => {
    const s = await fresh();
    const before = await snapshot(s.root.dir, ['/srv/reconcile-state']);
    await fs.mkdir(s.root.path('/srv'));
    await cli('--apply', '--desired', s.desired, '--root', s.root.dir, '--state-dir', '/srv/reconcile-state');
    expect((await fs.readdir(s.root.path('/srv/reconcile-state/runs'))).length).toBe(1);
    await expect(fs.lstat(s.root.path('/var/lib/reconcile'))).rejects.toThrow();
    expect((await cli('--rollback', '--root', s.root.dir, '--state-dir', '/srv/reconcile-state')).code).toBe(0);
    const after = await snapshot(s.root.dir, ['/srv/reconcile-state']);
    delete after['/srv'];
    expect(after).toEqual(before);
  });
});

describe('rolling back an interrupted run', () => {
  beforeAll(async () => {
    await ensureBuilt();
  });

  it.each([15, 45, 80, 120])('puts back exactly what an apply killed at step %i had done', async (n) => {
    const s = await fresh();
    const before = await snapshot(s.root.dir);
    const killed = await runCli(['--apply', '--desired', s.desired, '--root', s.root.dir], { RECONCILE_FAULT_AFTER: String(n) });
    expect(killed.signal).toBe('SIGKILL');
    const r = await cli('--rollback', '--root', s.root.dir);
    if (r.code === 1 && /no apply run to roll back/.test(r.stderr)) {
      // Killed before it changed anything: the host is as before.
      expect(await snapshot(s.root.dir)).toEqual(before);
      return;
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: the previous apply run \S+ .* was interrupted/);
    // Temp files the killed run left beside targets are gone too.
    expect(await snapshot(s.root.dir)).toEqual(before);
  });
});
