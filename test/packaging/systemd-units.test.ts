// The units pass `systemd-analyze verify` (which also checks that ExecStart's
// binary exists, so a stub stands in for the installed reconcile), and carry
// the choices the README promises.

import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const UNITS = path.resolve('packaging/systemd');
const INSTALLED_BIN = '/usr/local/bin/reconcile';

const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const itWithSystemd = haveAnalyze ? it : it.skip;

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-units-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Copies the units into tmp with ExecStart pointing at an executable stub. */
async function stage(edit: (service: string) => string = (s) => s): Promise<string[]> {
  const stub = path.join(tmp, 'reconcile');
  await fs.writeFile(stub, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const out: string[] = [];
  for (const name of ['reconcile-check.service', 'reconcile-check.timer']) {
    let text = await fs.readFile(path.join(UNITS, name), 'utf8');
    text = text.split(INSTALLED_BIN).join(stub);
    if (name.endsWith('.service')) text = edit(text);
    const p = path.join(tmp, name);
    await fs.writeFile(p, text);
    out.push(p);
  }
  return out;
}

function verify(files: string[]): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8', cwd: tmp });
  // Warnings about our own files count as failures: systemd ignores unknown keys silently at runtime.
  const output = (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => l.includes('reconcile-check') || l.includes(tmp))
    .join('\n');
  return { status: r.status, output };
}

describe('packaging/systemd', () => {
  itWithSystemd('the service and timer verify cleanly', async () => {
    const r = verify(await stage());
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  itWithSystemd('verification catches a missing binary and an unknown key (the test can fail)', async () => {
    const missing = verify(await stage((s) => s.replace(/ExecStart=\S+/, 'ExecStart=/nonexistent/reconcile')));
    expect(missing.status).not.toBe(0);
    const unknown = verify(await stage((s) => s.replace('[Service]', '[Service]\nProtectSytem=strict')));
    expect(unknown.output).toMatch(/Unknown key/);
  });

  it('runs the check with the nightly outputs, and does not count drift (exit 2) as a failure', async () => {
    const service = await fs.readFile(path.join(UNITS, 'reconcile-check.service'), 'utf8');
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(service).toMatch(/^SuccessExitStatus=2$/m);
    const exec = /^ExecStart=(.*)$/m.exec(service)![1]!.split(' ');
    expect(exec[0]).toBe(INSTALLED_BIN);
    expect(exec.slice(1)).toEqual([
      '--check',
      '--desired',
      '/etc/reconcile/desired-state',
      '--prom',
      '/var/lib/node_exporter/textfile_collector/reconcile.prom',
      '--report',
      '/var/lib/reconcile/last-check.json',
    ]);
  });

  it('is hardened read-only except for the two output directories, and keeps /dev visible', async () => {
    const service = await fs.readFile(path.join(UNITS, 'reconcile-check.service'), 'utf8');
    expect(service).toMatch(/^ProtectSystem=strict$/m);
    const stateDirs = /^StateDirectory=(.*)$/m.exec(service)![1]!.split(' ').map((d) => `/var/lib/${d}`);
    expect(stateDirs).toEqual(expect.arrayContaining(['/var/lib/reconcile', '/var/lib/node_exporter/textfile_collector']));
    expect(service).not.toMatch(/^PrivateDevices=yes/m);
    expect(service).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
  });

  it('the timer starts the service nightly and catches up missed runs', async () => {
    const timer = await fs.readFile(path.join(UNITS, 'reconcile-check.timer'), 'utf8');
    expect(timer).toMatch(/^OnCalendar=\*-\*-\* 03:17:00$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
    expect(timer).toMatch(/^WantedBy=timers.target$/m);
    if (haveAnalyze) {
      const next = execFileSync('systemd-analyze', ['calendar', '*-*-* 03:17:00'], { encoding: 'utf8' });
      expect(next).toMatch(/Normalized form: \*-\*-\* 03:17:00/);
    }
  });
});
