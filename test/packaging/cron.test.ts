// /etc/cron.d syntax, checked the way cron reads it: environment lines,
// comments, and jobs of 5 time fields, a user and a command.

import { promises as fs } from 'node:fs';
import path from 'node:path';

const FILE = path.resolve('packaging/cron.d/reconcile-check');

const RANGES: Array<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** Throws unless `field` is valid cron syntax for its position (*, n, a-b, lists, /step, names). */
function checkTimeField(field: string, index: number): void {
  const r = RANGES[index]!;
  const value = (s: string): number => {
    const byName = r.names?.indexOf(s.toLowerCase()) ?? -1;
    if (byName >= 0) return byName + (r.name === 'month' ? 1 : 0);
    if (!/^[0-9]+$/.test(s)) throw new Error(`${r.name}: ${JSON.stringify(s)} is not a number`);
    const n = Number(s);
    if (n < r.min || n > r.max) throw new Error(`${r.name}: ${n} is outside ${r.min}-${r.max}`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') throw new Error(`${r.name}: bad ${JSON.stringify(part)}`);
    if (step !== undefined && !(/^[1-9][0-9]*$/.test(step))) throw new Error(`${r.name}: bad step ${JSON.stringify(step)}`);
    if (range === '*') continue;
    const [a, b, more] = range.split('-');
    if (more !== undefined) throw new Error(`${r.name}: bad range ${JSON.stringify(range)}`);
    const lo = value(a!);
    if (b !== undefined && value(b) < lo) throw new Error(`${r.name}: range ${range} runs backwards`);
  }
}

interface Job {
  line: number;
  time: string[];
  user: string;
  command: string;
}

function parseCronD(text: string): { env: Record<string, string>; jobs: Job[] } {
  if (!text.endsWith('\n')) throw new Error('cron ignores a last line without a newline');
  const env: Record<string, string> = {};
  const jobs: Job[] = [];
  text.slice(0, -1).split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (assign) {
      env[assign[1]!] = assign[2]!;
      return;
    }
    if (line.startsWith('@')) throw new Error(`line ${i + 1}: use explicit time fields`);
    const fields = line.split(/\s+/);
    if (fields.length < 7) throw new Error(`line ${i + 1}: need 5 time fields, a user and a command`);
    fields.slice(0, 5).forEach((f, k) => checkTimeField(f, k));
    const user = fields[5]!;
    if (!/^[a-z_][a-z0-9_.@-]*$/i.test(user)) throw new Error(`line ${i + 1}: bad user ${user}`);
    const command = line.replace(/^(\S+\s+){6}/, '');
    // cron turns an unescaped % into a newline (stdin): never intended here.
    if (/(^|[^\\])%/.test(command)) throw new Error(`line ${i + 1}: unescaped % in the command`);
    jobs.push({ line: i + 1, time: fields.slice(0, 5), user, command });
  });
  return { env, jobs };
}

describe('packaging/cron.d/reconcile-check', () => {
  it('has a name cron will read (no dots; run-parts characters only)', () => {
    expect(path.basename(FILE)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('parses as a cron.d file with one nightly root job running the check', async () => {
    const { env, jobs } = parseCronD(await fs.readFile(FILE, 'utf8'));
    expect(env.SHELL).toBe('/bin/sh');
    expect(env.PATH!.split(':')).toEqual(expect.arrayContaining(['/usr/local/bin', '/usr/bin']));
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job!.user).toBe('root');
    // Once a day: fixed minute and hour, every day.
    expect(job!.time.slice(0, 2).every((f) => /^[0-9]+$/.test(f))).toBe(true);
    expect(job!.time.slice(2)).toEqual(['*', '*', '*']);
    expect(job!.command.split(/\s+/)).toEqual([
      'reconcile',
      '--check',
      '--desired',
      '/etc/reconcile/desired-state',
      '--prom',
      '/var/lib/node_exporter/textfile_collector/reconcile.prom',
      '--report',
      '/var/lib/reconcile/last-check.json',
      '>/dev/null',
    ]);
  });

  it.each([
    ['60 3 * * * root x', /minute: 60 is outside/],
    ['17 3 * 13 * root x', /month: 13 is outside/],
    ['17 3 * * mon-sun root x', /runs backwards/],
    ['17 3 * * root x', /need 5 time fields/],
    ['*/0 3 * * * root x', /bad step/],
    ['17 3 * * * root date +%F', /unescaped %/],
  ])('the validator rejects %p', (line, error) => {
    expect(() => parseCronD(line + '\n')).toThrow(error);
  });

  it('the validator accepts lists, ranges, steps and names', () => {
    expect(parseCronD('0,30 1-5/2 */3 jan-mar MON-FRI root true\n').jobs).toHaveLength(1);
  });
});
