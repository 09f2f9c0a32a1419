// The fleet recording and alert rules, checked by Prometheus's own promtool:
// syntax (check rules) and behaviour over synthetic series (test rules).

import path from 'node:path';
import { execa } from 'execa';

const DIR = path.resolve('packaging/prometheus');

async function promtool(args: string[]) {
  return execa('promtool', args, { cwd: DIR, reject: false });
}

const available = (await promtool(['--version'])).exitCode === 0;
if (!available && process.env.CI === 'true') throw new Error('promtool (Debian package prometheus) is missing; .ci/run installs it');
if (!available) console.warn('skipping the promtool checks: promtool is not installed (apt-get install prometheus)');
const maybe = available ? describe : describe.skip;

maybe('packaging/prometheus fleet rules (promtool)', () => {
  it('pass promtool check rules, with the per-host alerts too', async () => {
    const r = await promtool(['check', 'rules', 'reconcile-fleet.yml', 'reconcile-alerts.yml']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('SUCCESS: 9 rules found');
  });

  it('fire for critical findings, a host silent for 26 h and rising drift, and not before (promtool test rules)', async () => {
    const r = await promtool(['test', 'rules', 'reconcile-fleet.test.yml']);
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
    expect(r.exitCode).toBe(0);
  });
});
