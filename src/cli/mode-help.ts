// `reconcile --MODE --help`: one mode's usage, what it does, its exit codes,
// and a few commands a person would actually type.

import type { Mode } from './args.js';

interface ModeHelp {
  usage: string;
  what: string;
  examples: Array<[command: string, comment: string]>;
  exit: string;
}

const HELP: Record<Mode, ModeHelp> = {
  plan: {
    usage: 'reconcile --plan [--desired PATH] [--root DIR] [--format text|json|markdown] [--state-dir DIR] [--rules DIR]... [--insecure-config] [--no-color] [--quiet] [--desired-digest D]',
    what: 'Shows what --apply would change, and the findings of the regression rules. Changes nothing.',
    examples: [
      ['reconcile --plan', 'this host, against /etc/reconcile/desired-state'],
      ['reconcile --plan --desired desired-state/ds01.yaml --root examples/hosts/incident-2-nvidia-smi-wrapper', 'an image or a copied tree'],
      ['reconcile --plan --format markdown > plan.md', 'a comment for code review'],
    ],
    exit: '0 host matches, 2 changes pending, 1 error',
  },
  apply: {
    usage: 'reconcile --apply [--desired PATH] [--root DIR] [--format text|json] [--state-dir DIR] [--lock-timeout SECONDS] [--insecure-config] [--no-color] [--quiet] [--keep-runs N] [--keep-days D] [--report FILE] [--desired-digest D]',
    what:
      'Plans, makes the changes (backed up, atomic, journaled, under a lock), then plans again to prove the host converged. ' +
      'Afterwards, under the same lock, prunes the journals and backups of old runs beyond both --keep-runs (default 20) and --keep-days (default 30). ' +
      'With --report FILE, also writes the JSON report a --check --report FILE run would write next (the rules run on the host as the apply left it); the exit code stays the apply\'s, and --format json prints the report too. ' +
      'With --desired-digest D (from --validate), runs only on exactly that desired state: any other, or an untrusted one, exits 3 and nothing is done.',
    examples: [
      ['sudo reconcile --apply', 'this host'],
      ['sudo reconcile --apply --lock-timeout 60 --quiet', 'from a deploy job: wait for another apply, print only errors and the summary'],
      ['reconcile --apply --desired desired-state/ds01.yaml --root /srv/images/ds01 --format json', 'an image, for a script'],
      ['sudo reconcile --apply --keep-runs 50 --keep-days 90', 'keep more history (and backups) than the default'],
      ['sudo reconcile --apply --detailed-exitcode --report /var/lib/reconcile/check.json', 'from a fleet tool: apply, then the report for --report-merge, in one run'],
      ['sudo reconcile --apply --desired-digest sha256:3230c339a6ff5d7724da535bfa4e9b90fe1f649f23c02e0df4b844765c315d2a', 'only the reviewed desired state: the digest --validate printed in review'],
    ],
    exit: '0 host converged, 1 anything failed, 3 not the --desired-digest desired state (nothing done)',
  },
  check: {
    usage: 'reconcile --check [--desired PATH] [--root DIR] [--rules DIR]... [--format text|json] [--prom FILE] [--report FILE] [--insecure-config] [--no-color] [--quiet] [--desired-digest D]',
    what: 'The nightly drift check: plan and rules, change nothing; writes Prometheus metrics and a JSON report when asked.',
    examples: [
      ['reconcile --check', 'by hand'],
      ['reconcile --check --prom /var/lib/prometheus/node-exporter/reconcile.prom --report /var/lib/reconcile/check.json', 'from cron or the systemd timer'],
      ['reconcile --check --rules /etc/reconcile/rules.d', 'with your own rules as well'],
    ],
    exit: '0 no drift and no warning/critical finding, 2 drift or findings, 1 error',
  },
  validate: {
    usage: 'reconcile --validate [--desired PATH] [--root DIR] [--format text|json] [--state-dir DIR] [--insecure-config] [--no-color] [--desired-digest D]',
    what:
      'Loads and checks the desired state; touches no host. Errors name file:line:column and the fix. ' +
      'Prints the digest of the desired state (every file under the path, by name and content) for --desired-digest.',
    examples: [
      ['reconcile --validate --desired desired-state/ds01.yaml', 'one file'],
      ['reconcile --validate --desired /etc/reconcile/desired-state', 'a directory of *.yaml'],
    ],
    exit: '0 valid, 1 invalid',
  },
  history: {
    usage: 'reconcile --history [--root DIR] [--state-dir DIR] [--format text|json] [--no-color]',
    what: 'Lists the recorded applies and rollbacks, newest first: who, when, what changed, how it ended.',
    examples: [
      ['reconcile --history', 'this host'],
      ['reconcile --history --root /srv/images/ds01 --format json', 'an image, for a script'],
    ],
    exit: '0 listed, 1 error',
  },
  rollback: {
    usage: 'reconcile --rollback [RUN_ID] [--root DIR] [--state-dir DIR] [--force] [--lock-timeout SECONDS] [--format text|json] [--no-color] [--quiet]',
    what: 'Puts back what one run changed, from its backups (default: the latest apply not yet rolled back). Refuses targets changed since, unless --force.',
    examples: [
      ['sudo reconcile --rollback', 'undo the latest apply'],
      ['sudo reconcile --rollback 20260131T120000Z-1a2b3c', 'undo one run (ids from --history)'],
      ['sudo reconcile --rollback 20260131T120000Z-1a2b3c --force', 'even where a target changed since (the current state is backed up first)'],
    ],
    exit: '0 everything is back, 1 anything refused, skipped or failed',
  },
  'report-merge': {
    usage: 'reconcile --report-merge DIR [--format text|json|markdown] [--no-color]',
    what: 'Merges the per-host JSON reports of a fleet (--check --report, one <host>.json each) into one table: host x rule, host x pending changes.',
    examples: [
      ['reconcile --report-merge reports/', 'the fleet table, as text'],
      ['reconcile --report-merge reports/ --format markdown', 'for a pull request or a wiki page'],
    ],
    exit: '0 every host ok, 2 a host drifted or failed, 1 the directory cannot be read',
  },
};

export function modeHelp(mode: Mode): string {
  const h = HELP[mode];
  const width = Math.max(...h.examples.map(([c]) => c.length));
  const examples = h.examples.map(([c, why]) => (c.length > 70 ? `  ${c}\n      # ${why}` : `  ${c.padEnd(Math.min(width, 70))}  # ${why}`));
  return `Usage: ${h.usage}

${h.what}

Examples:
${examples.join('\n')}

Exit codes: ${h.exit}.
All modes and options: reconcile --help
`;
}
