// --report-merge DIR: real --check --report files from the example hosts
// (one drifted, one converged by --apply), a host the role could not reach,
// and a file that is not a report, merged into one fleet table.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../safety/snapshot.js';

const DESIRED = path.resolve('desired-state/ds01.yaml');
const INCIDENT_2 = path.resolve('examples/hosts/incident-2-nvidia-smi-wrapper');

let dir: string;
let reports: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-report-merge-'));
  reports = path.join(dir, 'reports');
  await fs.mkdir(reports);
  const converged = path.join(dir, 'converged-root');
  await fs.cp(INCIDENT_2, converged, { recursive: true, verbatimSymlinks: true });
  expect(await main(['--apply', '--desired', DESIRED, '--root', converged], captureOutput())).toBe(0);
  expect(await main(['--check', '--desired', DESIRED, '--root', converged, '--report', path.join(reports, 'gpu2.json')], captureOutput())).toBe(0);
  expect(await main(['--check', '--desired', DESIRED, '--root', INCIDENT_2, '--report', path.join(reports, 'gpu10.json')], captureOutput())).toBe(2);
  await fs.writeFile(path.join(reports, 'gpu3.json'), JSON.stringify({ error: 'unreachable: ssh: connect to host 10.213.3.2 port 22: Connection timed out', checkedAt: '2026-03-01T03:17:00.000Z' }));
  await fs.writeFile(path.join(reports, 'gpu4.json'), '{"changes": [');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function merge(...extra: string[]) {
  const io = captureOutput();
  const code = await main(['--report-merge', reports, ...extra], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('--report-merge', () => {
  it('prints host × status × rule with the failed hosts named, and exits 2 when the fleet is not clean', async () => {
    const r = await merge();
    expect(r.code).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Fleet: 4 hosts: 1 ok, 1 drifted, 2 failed.');
    // Hosts in natural order; rule columns only for rules failing somewhere.
    const rows = lines.slice(3, 7).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => r[0])).toEqual(['gpu2', 'gpu3', 'gpu4', 'gpu10']);
    expect(rows.map((r) => r[1])).toEqual(['ok', 'FAILED', 'FAILED', 'DRIFT']);
    expect(lines[2]).toMatch(/^host\s+status\s+pending\s+.*nvidia-smi-wrapper.*video-group-restricted.*checked at$/);
    expect(rows[0]![2]).toBe('+0 ~0 -0');
    expect(rows[3]![2]).not.toBe('+0 ~0 -0');
    expect(r.stdout).toContain('gpu3:\n  FAILED unreachable: ssh: connect to host 10.213.3.2 port 22: Connection timed out');
    expect(r.stdout).toMatch(/gpu4:\n {2}FAILED report is not JSON/);
    expect(r.stdout).toMatch(/gpu10:\n(.*\n)*? {2}~ video {2}\(group [a-z0-9-]+\)/);
    expect(r.stdout).toContain('- /usr/local/bin/nvidia-smi');
  });

  it('gives the same view as JSON: hosts, rules and totals', async () => {
    const r = await merge('--format', 'json');
    const view = JSON.parse(r.stdout);
    expect(view.totals).toEqual({ ok: 1, drift: 1, failed: 2 });
    const gpu10 = view.hosts.find((h: { host: string }) => h.host === 'gpu10');
    expect(gpu10.status).toBe('drift');
    expect(gpu10.findings['video-group-restricted'].severity).toBe('critical');
    expect(gpu10.changes.map((c: { target: string }) => c.target)).toContain('video');
    expect(view.hosts.find((h: { host: string }) => h.host === 'gpu2').changes).toEqual([]);
  });

  it('renders markdown with one row per host and the pending changes folded', async () => {
    const r = await merge('--format', 'markdown');
    expect(r.stdout).toContain('### Fleet: 4 hosts: 1 ok, 1 drifted, 2 failed.');
    expect(r.stdout).toMatch(/^\| gpu3 \| \*\*failed\*\* \|/m);
    expect(r.stdout).toMatch(/<details><summary>gpu10: \d+ pending, 0 error\(s\)<\/summary>/);
  });

  it('exits 0 when every host is ok', async () => {
    const clean = path.join(dir, 'clean');
    await fs.mkdir(clean);
    await fs.copyFile(path.join(reports, 'gpu2.json'), path.join(clean, 'gpu2.json'));
    const io = captureOutput();
    expect(await main(['--report-merge', clean], io)).toBe(0);
    expect(io.stdout).toMatch(/^Fleet: 1 host: 1 ok, 0 drifted, 0 failed\.\n/);
  });

  it('refuses a missing or empty directory and a mode flag it does not take, in one paragraph', async () => {
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    for (const argv of [['--report-merge', path.join(dir, 'nosuch')], ['--report-merge', empty], ['--report-merge', reports, '--root', '/'], ['--report-merge']]) {
      const io = captureOutput();
      expect(await main(argv, io)).toBe(1);
      expect(io.stderr).toMatch(/^reconcile: error: .+\n$/);
    }
  });
});
