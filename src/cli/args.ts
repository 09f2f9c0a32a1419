// Command-line parsing: strict, so a typo is an error and never a silent
// default. Knows flags, not what they do.

import { UserError } from '../errors.js';

export type Mode = 'plan' | 'apply' | 'validate' | 'check' | 'history' | 'rollback';
export type Format = 'text' | 'json' | 'markdown';

export interface CliArgs {
  mode: Mode | 'help' | 'version';
  desired?: string;
  /** --source DIR: where file resources' `source:` paths are read from. */
  source?: string;
  root: string;
  format: Format;
  stateDir?: string;
  lockTimeout: number;
  rules: string[];
  prom?: string;
  report?: string;
  runId?: string;
  force: boolean;
  insecureConfig: boolean;
}

const MODES: Mode[] = ['plan', 'apply', 'validate', 'check', 'history', 'rollback'];
const VALUE_FLAGS = ['desired', 'source', 'root', 'format', 'state-dir', 'lock-timeout', 'rules', 'prom', 'report'] as const;
const BOOLEAN_FLAGS = ['force', 'insecure-config'] as const;
const FORMATS: Format[] = ['text', 'json', 'markdown'];

type Flag = (typeof VALUE_FLAGS)[number] | (typeof BOOLEAN_FLAGS)[number];

/**
 * The flags each mode takes, and its formats. Anything else is an error, so
 * a cron line with --plan --prom never quietly writes no metrics. --validate
 * takes --root (issue 2's usage line) and checks that it is a directory.
 */
// Issue 2's contract gives --plan, --apply and --validate one flag set
// ([--desired] [--root] [--format] [--state-dir]), so scripts may pass the
// same flags to all three: --state-dir is accepted (and unused) by the two
// that write nothing.
const MODE_FLAGS: Record<Mode, { flags: Flag[]; formats: Format[] }> = {
  plan: { flags: ['desired', 'source', 'root', 'format', 'state-dir', 'rules', 'insecure-config'], formats: ['text', 'json', 'markdown'] },
  apply: { flags: ['desired', 'source', 'root', 'format', 'state-dir', 'lock-timeout', 'insecure-config'], formats: ['text', 'json'] },
  check: { flags: ['desired', 'source', 'root', 'rules', 'format', 'prom', 'report', 'insecure-config'], formats: ['text', 'json'] },
  validate: { flags: ['desired', 'source', 'root', 'format', 'state-dir', 'insecure-config'], formats: ['text', 'json'] },
  history: { flags: ['root', 'state-dir', 'format'], formats: ['text', 'json'] },
  rollback: { flags: ['root', 'state-dir', 'force', 'lock-timeout', 'format'], formats: ['text', 'json'] },
};

/** Refuses a flag or format the mode does not take, naming the modes that do. */
function checkModeFlags(mode: Mode, given: Set<Flag>, args: CliArgs): void {
  const { flags, formats } = MODE_FLAGS[mode];
  for (const flag of given) {
    if (flags.includes(flag)) continue;
    const takers = MODES.filter((m) => MODE_FLAGS[m].flags.includes(flag)).map((m) => `--${m}`);
    throw usageError(`--${flag} does not apply to --${mode}: only ${takers.join(', ')} take${takers.length === 1 ? 's' : ''} it. Remove it, or use the mode that takes it.`);
  }
  if (!formats.includes(args.format)) {
    const takers = MODES.filter((m) => MODE_FLAGS[m].formats.includes(args.format)).map((m) => `--${m}`);
    throw usageError(`--${mode} prints ${formats.join(' or ')}, not ${args.format} (only ${takers.join(', ')} print ${args.format}): use --format ${formats.join(' or --format ')}.`);
  }
}

function usageError(message: string): UserError {
  return new UserError(`${message} Run "reconcile --help" for usage.`);
}

export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { mode: 'help', root: '/', format: 'text', lockTimeout: 0, rules: [], force: false, insecureConfig: false };
  let mode: CliArgs['mode'] | undefined;
  const setMode = (m: CliArgs['mode']) => {
    if (mode !== undefined && mode !== m) throw usageError(`--${mode} and --${m} cannot be combined: choose one.`);
    mode = m;
  };
  const seen = new Set<string>();
  const given = new Set<Flag>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      setMode('help');
      continue;
    }
    if (arg === '--version') {
      setMode('version');
      continue;
    }
    if (!arg.startsWith('--')) {
      if (mode === 'rollback' && args.runId === undefined) {
        args.runId = arg;
        continue;
      }
      throw usageError(`unexpected argument "${arg}".`);
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if ((MODES as string[]).includes(name)) {
      if (inline !== undefined) throw usageError(`--${name} takes no value.`);
      setMode(name as Mode);
      continue;
    }
    if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) {
      if (inline !== undefined) throw usageError(`--${name} takes no value.`);
      given.add(name as Flag);
      if (name === 'force') args.force = true;
      else args.insecureConfig = true;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) {
      const known = [...MODES, ...VALUE_FLAGS, ...BOOLEAN_FLAGS].map((f) => `--${f}`).join(', ');
      throw usageError(`unknown option --${name}. Known options: ${known}.`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw usageError(`--${name} needs a value.`);
    if (name !== 'rules' && seen.has(name)) throw usageError(`--${name} is given twice.`);
    seen.add(name);
    given.add(name as Flag);
    switch (name as (typeof VALUE_FLAGS)[number]) {
      case 'desired':
        args.desired = value;
        break;
      case 'source':
        args.source = value;
        break;
      case 'root':
        args.root = value;
        break;
      case 'format':
        if (!(FORMATS as string[]).includes(value)) throw usageError(`--format must be one of ${FORMATS.join(', ')}, not "${value}".`);
        args.format = value as Format;
        break;
      case 'state-dir':
        if (!value.startsWith('/')) throw usageError(`--state-dir is a path inside the root and must start with "/", not "${value}".`);
        args.stateDir = value;
        break;
      case 'lock-timeout':
        if (!/^\d+(\.\d+)?$/.test(value)) throw usageError(`--lock-timeout takes a number of seconds, not "${value}".`);
        args.lockTimeout = Number(value);
        break;
      case 'rules':
        args.rules.push(value);
        break;
      case 'prom':
        args.prom = value;
        break;
      case 'report':
        args.report = value;
        break;
    }
  }
  if (mode === undefined) {
    if (argv.length === 0) return args;
    throw usageError('say what to do: --plan, --apply, --validate, --check, --history or --rollback.');
  }
  args.mode = mode;
  if (mode !== 'help' && mode !== 'version') checkModeFlags(mode, given, args);
  return args;
}

export const USAGE = `reconcile: keep a shared GPU server in its declared state.

Usage:
  reconcile --plan     [--desired PATH] [--source DIR] [--root DIR] [--format text|json|markdown] [--state-dir DIR] [--rules DIR]... [--insecure-config]
  reconcile --apply    [--desired PATH] [--source DIR] [--root DIR] [--format text|json] [--state-dir DIR] [--lock-timeout SECONDS]
                       [--insecure-config]
  reconcile --check    [--desired PATH] [--source DIR] [--root DIR] [--rules DIR]... [--format text|json] [--prom FILE] [--report FILE]
                       [--insecure-config]
  reconcile --validate [--desired PATH] [--source DIR] [--root DIR] [--format text|json] [--state-dir DIR] [--insecure-config]
  reconcile --history  [--root DIR] [--state-dir DIR] [--format text|json]
  reconcile --rollback [RUN_ID] [--root DIR] [--state-dir DIR] [--force] [--lock-timeout SECONDS] [--format text|json]

Each mode takes only the options shown on its line; any other is an error.

Options:
  --desired PATH     desired-state YAML file, or a directory of *.yaml (default /etc/reconcile/desired-state)
  --source DIR       where file resources' \`source:\` paths are read from (default: each file's \`sources:\`)
  --root DIR         the host's root directory (default /); paths in YAML and output are as seen inside it
  --format F         output format: text (default), json, markdown (--plan only)
  --state-dir DIR    backups, journals and the lock, inside the root (default /var/lib/reconcile)
  --lock-timeout S   wait up to S seconds for another apply to finish (default 0: fail at once)
  --rules DIR        an extra directory of regression rules (repeatable)
  --prom FILE        with --check: write Prometheus textfile metrics
  --report FILE      with --check: write the JSON report
  --insecure-config  accept config files writable by others (with a warning)

Exit codes:
  --plan      0 host matches, 2 changes pending, 1 error
  --apply     0 host converged, 1 anything failed
  --check     0 no drift and no warning/critical finding, 2 drift or findings, 1 error
  --validate  0 valid, 1 invalid
`;
