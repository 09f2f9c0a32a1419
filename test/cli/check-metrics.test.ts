// --check metrics when one resource cannot be planned: the drift and the
// findings of everything else are still written, so a critical-finding alert
// does not resolve just because an unrelated group is missing.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { captureOutput } from '../safety/snapshot.js';

const repo = path.resolve(import.meta.dirname, '../..');
const desired = path.join(repo, 'desired-state/ds01.yaml');

let root: TempRoot;
let out: string;
beforeEach(async () => {
  root = await makeRoot({});
  await fs.cp(path.join(repo, 'examples/hosts/incident-2-nvidia-smi-wrapper'), root.dir, { recursive: true, verbatimSymlinks: true });
  out = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-prom-'));
});
afterEach(async () => {
  await root.cleanup();
  await fs.rm(out, { recursive: true, force: true });
});

async function check(): Promise<{ code: number; metrics: string }> {
  const prom = path.join(out, 'reconcile.prom');
  const io = captureOutput();
  const code = await main(['--check', '--desired', desired, '--root', root.dir, '--prom', prom], io);
  return { code, metrics: await fs.readFile(prom, 'utf8') };
}

describe('--check --prom with a plan error', () => {
  it('keeps the finding and drift series, counts the error, and reports success 0', async () => {
    // The docker group is gone: the video group's include of it cannot be planned.
    const group = root.path('/etc/group');
    const lines = (await fs.readFile(group, 'utf8')).split('\n').filter((l) => !l.startsWith('docker:'));
    await fs.writeFile(group, lines.join('\n'));
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.metrics).toMatch(/^reconcile_findings\{rule="nvidia-smi-wrapper",severity="critical"\} [1-9]/m);
    expect(r.metrics).toMatch(/^reconcile_drift_changes\{kind="absent"\} [1-9]/m);
    expect(r.metrics).toMatch(/^reconcile_plan_errors [1-9]\d*$/m);
    expect(r.metrics).toMatch(/^reconcile_check_success 0$/m);
  });

  it('writes reconcile_plan_errors 0 and success 1 when every resource could be planned', async () => {
    const r = await check();
    expect(r.code).toBe(2);
    expect(r.metrics).toMatch(/^reconcile_plan_errors 0$/m);
    expect(r.metrics).toMatch(/^reconcile_check_success 1$/m);
  });
});
