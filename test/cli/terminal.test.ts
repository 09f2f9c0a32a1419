// The terminal, for real: the built CLI on a pseudo-terminal made by
// script(1). Colour only on a terminal and only for text, never with
// NO_COLOR or --no-color, forced by FORCE_COLOR; a progress line on a
// terminal's stderr, never off one.

import { execa } from 'execa';
import { bin, ensureBuilt, repo } from '../safety/built-cli.js';
import { shellQuote } from '../../src/cli/command-line.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';

const ESC = '\x1b[';
const scenarios: Scenario[] = [];
let hasScript = true;
beforeAll(async () => {
  await ensureBuilt();
  hasScript = (await execa('script', ['--version'], { reject: false })).exitCode === 0;
});
afterAll(async () => {
  await Promise.all(scenarios.map((s) => s.cleanup()));
});

/** script(1) (util-linux) makes the pseudo-terminal: skipped with the reason without it, a failure under CI. */
function needScript(): boolean {
  if (hasScript) return true;
  if (process.env.CI === 'true') throw new Error('script(1) is missing: install util-linux');
  console.warn('skipped: script(1) (util-linux) is missing');
  return false;
}

async function fresh(): Promise<Scenario> {
  const s = await makeScenario();
  scenarios.push(s);
  return s;
}

// Without NO_COLOR/FORCE_COLOR from the environment the test runs in.
const baseEnv = () => {
  const env = { ...process.env, TERM: 'xterm' } as Record<string, string | undefined>;
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return env;
};

/** stdout and stderr both on one pseudo-terminal, as a person at a terminal sees them. */
async function onTerminal(args: string[], env: Record<string, string> = {}) {
  const command = ['node', bin, ...args].map(shellQuote).join(' ');
  const r = await execa('script', ['-qec', command, '/dev/null'], { reject: false, cwd: repo, env: { ...baseEnv(), ...env }, extendEnv: false });
  return { code: r.exitCode, text: String(r.stdout) };
}

async function offTerminal(args: string[], env: Record<string, string> = {}) {
  const r = await execa('node', [bin, ...args], { reject: false, cwd: repo, stdin: 'ignore', env: { ...baseEnv(), ...env }, extendEnv: false });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('colour', () => {
  it('on a terminal: create green, delete red, update yellow', async () => {
    if (!needScript()) return;
    const s = await fresh();
    const r = await onTerminal(['--plan', '--desired', s.desired, '--root', s.root.dir]);
    expect(r.code).toBe(2);
    expect(r.text).toContain(`${ESC}32m+ /etc/created.conf`);
    expect(r.text).toContain(`${ESC}31m- /etc/gone.conf`);
    expect(r.text).toContain(`${ESC}33m~ /etc/managed.conf`);
    expect(r.text).toMatch(new RegExp(`\\x1b\\[31m {2}CRITICAL`));
  });

  it.each([
    ['NO_COLOR set', [], { NO_COLOR: '1' }],
    ['--no-color', ['--no-color'], {}],
    ['--format json', ['--format', 'json'], {}],
    ['--format markdown', ['--format', 'markdown'], {}],
    ['NO_COLOR even with FORCE_COLOR', [], { NO_COLOR: '1', FORCE_COLOR: '1' }],
  ])('never with %s', async (_why, extra, env) => {
    if (!needScript()) return;
    const s = await fresh();
    const r = await onTerminal(['--plan', '--desired', s.desired, '--root', s.root.dir, ...extra], env);
    expect(r.code).toBe(2);
    expect(r.text).toContain('/etc/created.conf');
    expect(r.text).not.toContain(ESC);
  });

  it('never when stdout is not a terminal; FORCE_COLOR forces it', async () => {
    const s = await fresh();
    const plain = await offTerminal(['--plan', '--desired', s.desired, '--root', s.root.dir]);
    expect(plain.code).toBe(2);
    expect(plain.stdout).not.toContain(ESC);
    const forced = await offTerminal(['--plan', '--desired', s.desired, '--root', s.root.dir], { FORCE_COLOR: '1' });
    expect(forced.stdout).toContain(`${ESC}32m+ /etc/created.conf`);
  });
});

describe('progress', () => {
  // RECONCILE_PROGRESS_DELAY_MS=0 shows the line at once instead of after about a second.
  it('on a terminal: "applying N/M target" on stderr while an apply runs', async () => {
    if (!needScript()) return;
    const s = await fresh();
    const r = await onTerminal(['--apply', '--desired', s.desired, '--root', s.root.dir], { RECONCILE_PROGRESS_DELAY_MS: '0' });
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/\r\x1b\[Kapplying 1\/\d+ \//);
    expect(r.text).toMatch(/\r\x1b\[Kplanning \d+\/\d+ /);
    expect(r.text).toContain('The host is converged.');
  });

  it('nothing on a stderr that is not a terminal (cron logs stay clean)', async () => {
    const s = await fresh();
    const r = await offTerminal(['--apply', '--desired', s.desired, '--root', s.root.dir], { RECONCILE_PROGRESS_DELAY_MS: '0' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('applying');
  });
});
