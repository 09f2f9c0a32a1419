// Each mode takes only its own flags: a flag meant for another mode is a
// usage error naming the modes that take it, never silently ignored.

import { parseArgs } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../safety/snapshot.js';

describe('parseArgs: flags per mode', () => {
  it.each([
    [['--plan', '--prom', '/tmp/x.prom'], '--prom does not apply to --plan: only --check takes it'],
    [['--check', '--lock-timeout', '5'], '--lock-timeout does not apply to --check: only --apply, --rollback take it'],
    [['--plan', '--lock-timeout', '5'], '--lock-timeout does not apply to --plan: only --apply, --rollback take it'],
    [['--plan', '--force'], '--force does not apply to --plan: only --rollback takes it'],
    [['--validate', '--rules', '/r'], '--rules does not apply to --validate: only --plan, --check take it'],
    [['--plan', '--report', '/r.json'], '--report does not apply to --plan: only --apply, --check take it'],
    [['--check', '--state-dir', '/x'], '--state-dir does not apply to --check'],
    [['--history', '--desired', '/d.yaml'], '--desired does not apply to --history'],
    [['--history', '--insecure-config'], '--insecure-config does not apply to --history'],
    [['--rollback', '--desired', '/d.yaml'], '--desired does not apply to --rollback'],
    [['--apply', '--format', 'markdown'], '--apply prints text or json, not markdown (only --plan, --report-merge print markdown)'],
    [['--check', '--format', 'markdown'], '--check prints text or json, not markdown'],
    [['--validate', '--format', 'markdown'], '--validate prints text or json, not markdown'],
  ])('refuses %j', (argv, says) => {
    expect(() => parseArgs(argv)).toThrow(says);
  });

  it.each([
    [['--plan', '--desired', 'd', '--root', 'r', '--format', 'markdown', '--rules', 'a', '--rules', 'b', '--insecure-config']],
    // Issue 2's shared flag set for --plan, --apply and --validate.
    [['--plan', '--desired', 'd', '--root', 'r', '--format', 'json', '--state-dir', '/s']],
    [['--validate', '--desired', 'd', '--root', 'r', '--format', 'json', '--state-dir', '/s']],
    [['--apply', '--desired', 'd', '--root', 'r', '--format', 'json', '--state-dir', '/s', '--lock-timeout', '30', '--insecure-config']],
    // --apply --report: the report of the host as the apply left it (test/cli/apply-report.test.ts).
    [['--apply', '--desired', 'd', '--detailed-exitcode', '--report', 'j']],
    [['--check', '--desired', 'd', '--root', 'r', '--rules', 'a', '--format', 'json', '--prom', 'p', '--report', 'j', '--insecure-config']],
    [['--validate', '--desired', 'd', '--root', 'r', '--format', 'json', '--insecure-config']],
    [['--history', '--root', 'r', '--state-dir', '/s', '--format', 'json']],
    [['--rollback', '20260131T100000Z-abcdef', '--root', 'r', '--state-dir', '/s', '--force', '--lock-timeout', '5', '--format', 'json']],
  ])('accepts every flag its mode documents: %j', (argv) => {
    expect(() => parseArgs(argv)).not.toThrow();
  });

  it('exits 1 through the command with a usage error on stderr', async () => {
    const io = captureOutput();
    expect(await main(['--plan', '--desired', '/nonexistent.yaml', '--prom', '/tmp/never.prom'], io)).toBe(1);
    expect(io.stderr).toContain('reconcile: error: --prom does not apply to --plan');
    expect(io.stderr).toContain('reconcile --help');
  });

  it('--validate --root checks that the root is a directory instead of ignoring it', async () => {
    const io = captureOutput();
    expect(await main(['--validate', '--desired', 'desired-state/ds01.yaml', '--root', '/nonexistent/root'], io)).toBe(1);
    expect(io.stderr).toContain('--root /nonexistent/root is not a directory');
  });
});

describe('found by trying it', () => {
  it('no mode at all: usage on stderr, exit 1 (a cron line that lost its mode must fail)', async () => {
    const io = captureOutput();
    expect(await main([], io)).toBe(1);
    expect(io.stdout).toBe('');
    expect(io.stderr).toContain('reconcile: error: say what to do');
    expect(io.stderr).toContain('Usage:');
  });

  it('--help alone prints the usage on stdout, exit 0', async () => {
    const io = captureOutput();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toContain('reconcile --plan');
  });

  it('a misspelled flag says "did you mean", not the whole option list', async () => {
    const io = captureOutput();
    expect(await main(['--plan', '--desird', 'x.yaml'], io)).toBe(1);
    expect(io.stderr).toContain('unknown option --desird: did you mean --desired?');
    expect(io.stderr).not.toContain('Known options');
    expect(() => parseArgs(['--apply', '--lock-timout', '5'])).toThrow('did you mean --lock-timeout?');
    expect(() => parseArgs(['--plan', '--no-colour'])).toThrow('did you mean --no-color?');
    expect(() => parseArgs(['--plan', '--zzzzzzzz'])).toThrow(/unknown option --zzzzzzzz\. Run/);
  });

  it.each(['plan', 'apply', 'check', 'validate', 'history', 'rollback'])('--%s --help prints that mode with examples', async (mode) => {
    const io = captureOutput();
    // Other flags given with --help are not checked: the user asked for help.
    expect(await main([`--${mode}`, '--help', '--prom', 'x'], io)).toBe(0);
    expect(io.stderr).toBe('');
    expect(io.stdout).toMatch(new RegExp(`^Usage: reconcile --${mode} `));
    const examples = io.stdout.split('Examples:\n')[1]!.split('\n\n')[0]!.split('\n').filter((l) => l.startsWith('  reconcile') || l.startsWith('  sudo reconcile'));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const e of examples) {
      // Every example is a command this version accepts.
      const argv = e.replace(/^\s*(sudo )?reconcile /, '').replace(/\s*(#.*|>.*)$/, '').split(/\s+/);
      expect(() => parseArgs(argv)).not.toThrow();
      expect(parseArgs(argv).mode).toBe(mode);
    }
  });

  it('--no-color and --quiet are accepted where they mean something', () => {
    expect(parseArgs(['--plan', '--no-color', '--quiet'])).toMatchObject({ noColor: true, quiet: true });
    expect(parseArgs(['--history', '--no-color']).noColor).toBe(true);
    expect(() => parseArgs(['--history', '--quiet'])).toThrow('--quiet does not apply to --history');
  });
});
