// A reader that closes the pipe early (`| true`, `| head -1`, `| grep -q`)
// is not a crash: the built CLI stops writing quietly and keeps its mode's
// exit code. Real pipes, through bash, as a user would type them.

import { promises as fs } from 'node:fs';
import { execa } from 'execa';
import { snapshot } from '../safety/snapshot.js';
import { bin, ensureBuilt, repo } from '../safety/built-cli.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';

const scenarios: Scenario[] = [];
beforeAll(ensureBuilt);
afterAll(async () => {
  await Promise.all(scenarios.map((s) => s.cleanup()));
});

/** Runs `node bin ARGS | READER` in bash; returns the CLI's own exit status and stderr. */
async function piped(args: string[], reader: string) {
  const quoted = ['node', bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // The CLI's stderr goes to a file so we see exactly what it printed.
  const r = await execa('bash', ['-c', `${quoted} 2>"$ERRFILE" | ${reader}; echo "status=\${PIPESTATUS[0]}"; cat "$ERRFILE"; rm -f "$ERRFILE"`], {
    cwd: repo,
    reject: false,
    env: { ERRFILE: `/tmp/reconcile-pipe-${process.pid}-${Math.random().toString(36).slice(2)}.err` },
  });
  const status = Number(/status=(\d+)/.exec(String(r.stdout))?.[1]);
  const stderr = String(r.stdout).split(/status=\d+\n?/)[1] ?? '';
  return { status, stderr };
}

describe('closed pipe', () => {
  it.each([['true'], ['head -1 >/dev/null'], ['grep -q Plan']])('--plan | %s keeps exit 2 and prints no trace', async (reader) => {
    const s = await makeScenario();
    scenarios.push(s);
    for (const format of ['text', 'json']) {
      const r = await piped(['--plan', '--desired', s.desired, '--root', s.root.dir, '--format', format], reader);
      expect(r.stderr).not.toMatch(/EPIPE|internal error|at .*\.js/);
      expect(r.status).toBe(2);
    }
  });

  it('stderr on a closed pipe too (a warning, then the plan: 2>&1 | true) keeps exit 2', async () => {
    if (process.getuid?.() !== 0) return console.warn('skipped: the --insecure-config warning is only printed as root');
    const s = await makeScenario();
    scenarios.push(s);
    await fs.chmod(s.desired, 0o666); // untrusted: --insecure-config warns on stderr before anything else
    const quoted = ['node', bin, '--plan', '--insecure-config', '--desired', s.desired, '--root', s.root.dir].map((a) => `'${a}'`).join(' ');
    const r = await execa('bash', ['-c', `${quoted} 2>&1 | true; echo "status=\${PIPESTATUS[0]}"`], { cwd: repo, reject: false });
    expect(String(r.stdout)).toBe('status=2');
    expect(String(r.stderr)).toBe('');
  });

  it('--apply | true applies, exits 0, and the host is converged', async () => {
    const s = await makeScenario();
    scenarios.push(s);
    const r = await piped(['--apply', '--desired', s.desired, '--root', s.root.dir], 'true');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const before = await snapshot(s.root.dir);
    const again = await piped(['--plan', '--desired', s.desired, '--root', s.root.dir], 'true');
    expect(again.status).toBe(0);
    expect(await snapshot(s.root.dir)).toEqual(before);
  });
});
