// Command-line parsing: strict, so a typo is an error and never a silent
// default. Knows flags, not what they do.

import { UserError } from '../errors.js';
import { closest } from '../model/closest.js';

export type Mode = 'plan' | 'apply' | 'validate' | 'check' | 'history' | 'rollback' | 'report-merge';
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
  /** --plan --out FILE: also write the plan as a saved plan file. */
  out?: string;
  /** --apply --plan-file FILE: apply that saved plan instead of planning. */
  planFile?: string;
  /** --target ID_OR_TARGET (repeatable): limit the run to these resources or targets. */
  targets: string[];
  /** --help given with a mode: print that mode's help. */
  help: boolean;
  /** --no-color: never colour, even on a terminal. */
  noColor: boolean;
  /** --quiet: only errors and the final summary line. */
  quiet: boolean;
  /** --apply: exit 2 when changes were applied and the host converged (Puppet/Terraform convention). */
  detailedExitcode: boolean;
  /** --report-merge DIR: the fetched per-host reports. */
  reportDir?: string;
  /** --apply --keep-runs N / --keep-days D: retention of old runs (defaults in src/apply/retention.ts). */
  keepRuns?: number;
  keepDays?: number;
  /** --desired-digest sha256:HEX: run only on exactly this desired state (else exit 3, nothing done). */
  desiredDigest?: string;
}

const MODES: Mode[] = ['plan', 'apply', 'validate', 'check', 'history', 'rollback', 'report-merge'];
const VALUE_FLAGS = ['desired', 'source', 'root', 'format', 'state-dir', 'lock-timeout', 'rules', 'prom', 'report', 'out', 'plan-file', 'target', 'keep-runs', 'keep-days', 'desired-digest'] as const;
const REPEATABLE: readonly string[] = ['rules', 'target'];
const BOOLEAN_FLAGS = ['force', 'insecure-config', 'no-color', 'quiet', 'detailed-exitcode'] as const;
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
  plan: { flags: ['desired', 'source', 'root', 'format', 'state-dir', 'rules', 'insecure-config', 'out', 'target', 'no-color', 'quiet', 'desired-digest'], formats: ['text', 'json', 'markdown'] },
  apply: {
    flags: ['desired', 'source', 'root', 'format', 'state-dir', 'lock-timeout', 'insecure-config', 'plan-file', 'target', 'no-color', 'quiet', 'detailed-exitcode', 'keep-runs', 'keep-days', 'report', 'desired-digest'],
    formats: ['text', 'json'],
  },
  check: { flags: ['desired', 'source', 'root', 'rules', 'format', 'prom', 'report', 'insecure-config', 'target', 'no-color', 'quiet', 'desired-digest'], formats: ['text', 'json'] },
  validate: { flags: ['desired', 'source', 'root', 'format', 'state-dir', 'insecure-config', 'no-color', 'desired-digest'], formats: ['text', 'json'] },
  history: { flags: ['root', 'state-dir', 'format', 'no-color'], formats: ['text', 'json'] },
  rollback: { flags: ['root', 'state-dir', 'force', 'lock-timeout', 'format', 'no-color', 'quiet'], formats: ['text', 'json'] },
  'report-merge': { flags: ['format', 'no-color'], formats: ['text', 'json', 'markdown'] },
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
    throw usageError(`--${mode} prints ${formats.join(' or ')}, not ${args.format} (only ${takers.join(', ')} print${takers.length === 1 ? 's' : ''} ${args.format}): use --format ${formats.join(' or --format ')}.`);
  }
}

/** A saved plan already fixes the desired state and the targets: naming them again could only disagree. */
function checkPlanFileFlags(given: Set<Flag>): void {
  if (given.has('desired')) throw usageError('--plan-file and --desired cannot be combined: the plan file embeds the desired state it was made from. Drop --desired.');
  if (given.has('target')) throw usageError('--plan-file and --target cannot be combined: the plan file already holds exactly what to apply. Make the plan with --target instead.');
  if (given.has('desired-digest')) throw usageError('--plan-file and --desired-digest cannot be combined: the plan file embeds the desired state it was made from, and refuses any target that changed since. Drop --desired-digest.');
  if (given.has('report')) throw usageError('--plan-file and --report cannot be combined: a saved plan is applied exactly, not checked against the desired state. Run reconcile --check --report FILE after it.');
}

function usageError(message: string): UserError {
  return new UserError(`${message} Run "reconcile --help" for usage.`);
}

export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = {
    mode: 'help',
    root: '/',
    format: 'text',
    lockTimeout: 0,
    rules: [],
    force: false,
    insecureConfig: false,
    help: false,
    noColor: false,
    quiet: false,
    targets: [],
    detailedExitcode: false,
  };
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
      args.help = true;
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
    if (name === 'report-merge') {
      // The one mode that takes a value: the directory of fetched reports.
      setMode('report-merge');
      const dir = inline ?? argv[++i];
      if (dir === undefined || (inline === undefined && dir.startsWith('--'))) throw usageError('--report-merge needs the directory of fetched reports.');
      args.reportDir = dir;
      continue;
    }
    if ((MODES as string[]).includes(name)) {
      if (inline !== undefined) throw usageError(`--${name} takes no value.`);
      setMode(name as Mode);
      continue;
    }
    if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) {
      if (inline !== undefined) throw usageError(`--${name} takes no value.`);
      given.add(name as Flag);
      if (name === 'force') args.force = true;
      else if (name === 'no-color') args.noColor = true;
      else if (name === 'quiet') args.quiet = true;
      else if (name === 'detailed-exitcode') args.detailedExitcode = true;
      else args.insecureConfig = true;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) {
      const guess = closest(name, [...MODES, ...VALUE_FLAGS, ...BOOLEAN_FLAGS, 'help', 'version']);
      throw usageError(`unknown option --${name}${guess ? `: did you mean --${guess}?` : '.'}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw usageError(`--${name} needs a value.`);
    if (!REPEATABLE.includes(name) && seen.has(name)) throw usageError(`--${name} is given twice.`);
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
      case 'out':
        args.out = value;
        break;
      case 'plan-file':
        args.planFile = value;
        break;
      case 'keep-runs':
        if (!/^[1-9]\d{0,5}$/.test(value)) throw usageError(`--keep-runs takes a whole number of runs, at least 1 (the newest run is always kept), not "${value}".`);
        args.keepRuns = Number(value);
        break;
      case 'keep-days':
        if (!/^\d{1,5}(\.\d+)?$/.test(value)) throw usageError(`--keep-days takes a number of days (0 or more), not "${value}".`);
        args.keepDays = Number(value);
        break;
      case 'desired-digest': {
        const m = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(value);
        if (!m) throw usageError(`--desired-digest takes the desired state's digest as --validate prints it (sha256: and 64 hex digits), not "${value}".`);
        args.desiredDigest = `sha256:${m[1]!.toLowerCase()}`;
        break;
      }
      case 'target':
        if (value === '') throw usageError('--target needs a resource id, a path or a group name, not "".');
        args.targets.push(value);
        break;
    }
  }
  if (mode === undefined) {
    // --help alone is the general usage; anything else must say what to do
    // (a cron line that lost its mode must fail, not "succeed" with help).
    if (args.help) return args;
    throw usageError('say what to do: --plan, --apply, --validate, --check, --history or --rollback.');
  }
  args.mode = mode;
  // `--plan --help` asks for that mode's help: its other flags are not checked.
  if (mode !== 'help' && mode !== 'version' && !args.help) checkModeFlags(mode, given, args);
  if (args.planFile !== undefined && !args.help) checkPlanFileFlags(given);
  return args;
}

export const USAGE = `reconcile: keep a shared GPU server in its declared state.

Usage:
  reconcile --plan     [--desired PATH] [--source DIR] [--root DIR] [--format text|json|markdown] [--state-dir DIR] [--rules DIR]... [--insecure-config]
                       [--out FILE] [--target ID_OR_TARGET]... [--desired-digest D]
  reconcile --apply    [--desired PATH] [--source DIR] [--root DIR] [--format text|json] [--state-dir DIR] [--lock-timeout SECONDS]
                       [--insecure-config] [--target ID_OR_TARGET]... [--detailed-exitcode] [--keep-runs N] [--keep-days D] [--report FILE]
                       [--desired-digest D]
  reconcile --apply    --plan-file FILE [--root DIR] [--format text|json] [--state-dir DIR] [--lock-timeout SECONDS] [--insecure-config] [--detailed-exitcode]
                       [--keep-runs N] [--keep-days D]
  reconcile --check    [--desired PATH] [--source DIR] [--root DIR] [--rules DIR]... [--format text|json] [--prom FILE] [--report FILE]
                       [--insecure-config] [--target ID_OR_TARGET]... [--desired-digest D]
  reconcile --validate [--desired PATH] [--source DIR] [--root DIR] [--format text|json] [--state-dir DIR] [--insecure-config]
                       [--desired-digest D]
  reconcile --history  [--root DIR] [--state-dir DIR] [--format text|json]
  reconcile --rollback [RUN_ID] [--root DIR] [--state-dir DIR] [--force] [--lock-timeout SECONDS] [--format text|json]
  reconcile --report-merge DIR [--format text|json|markdown]

Each mode takes only the options shown on its line (and --no-color; --quiet
where it prints a plan, apply or rollback); any other is an error.
"reconcile --plan --help" (any mode with --help) shows that mode with examples.

Options:
  --desired PATH     desired-state YAML file, or a directory of *.yaml (default /etc/reconcile/desired-state)
  --source DIR       where file resources' \`source:\` paths are read from (default: each file's \`sources:\`)
  --root DIR         the host's root directory (default /); paths in YAML and output are as seen inside it
  --format F         output format: text (default), json, markdown (--plan only)
  --state-dir DIR    backups, journals and the lock, inside the root (default /var/lib/reconcile)
  --lock-timeout S   wait up to S seconds for another apply to finish (default 0: fail at once)
  --rules DIR        an extra directory of regression rules (repeatable)
  --prom FILE        with --check: write Prometheus textfile metrics
  --report FILE      with --check: write the JSON report; with --apply: write the report of the host as the
                     apply left it, the one a --check --report run next would write (the exit code is the apply's)
  --insecure-config  accept config files writable by others (with a warning)
  --out FILE         with --plan: also save the plan (JSON, mode 0600) for --apply --plan-file
  --plan-file FILE   with --apply: apply exactly that saved plan, refused if any target changed since
  --target T         limit to the resource with id T, or to one path or group T of a resource (repeatable)
  --no-color         no colour on a terminal (also: NO_COLOR set; FORCE_COLOR forces colour)
  --quiet            print only errors and the final summary line
  --detailed-exitcode  with --apply: exit 2 when changes were applied and the host converged
  --keep-runs N      with --apply: keep at least the newest N runs' journals and backups (default 20)
  --keep-days D      with --apply: keep at least the runs of the last D days (default 30); older runs beyond both are pruned
  --desired-digest D run only if the desired state is exactly the one with digest D (as --validate prints it),
                     and trusted; otherwise exit 3 and do nothing

Exit codes:
  --plan      0 host matches, 2 changes pending, 1 error
  --apply     0 host converged, 1 anything failed
              (--detailed-exitcode: 0 nothing needed changing, 2 changes applied and converged, 1 anything failed)
  --check     0 no drift and no warning/critical finding, 2 drift or findings, 1 error
  --validate  0 valid, 1 invalid
  --desired-digest  3 the desired state is not the expected one, or not trusted: nothing was done (any mode)
  --report-merge  0 every host ok, 2 some host drifted or failed, 1 error
`;
