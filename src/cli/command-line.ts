// Commands printed for copy-paste ("Undo this rollback with: reconcile
// --rollback ID") must act on the same host and state as the run that
// printed them: without --root, a rollback hint from an image would act on
// the live /. Words are shell-quoted so a path with spaces stays one word.

import path from 'node:path';
import type { CliArgs } from './args.js';

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The flags that choose the host and the state a printed command acts on. */
export function targetFlags(args: CliArgs): string[] {
  const flags: string[] = [];
  if (args.root !== '/') flags.push('--root', path.resolve(args.root));
  if (args.stateDir !== undefined) flags.push('--state-dir', args.stateDir);
  return flags;
}

/** `reconcile WORDS... [--root DIR] [--state-dir DIR]`, quoted for a POSIX shell. */
export function reconcileCommand(args: CliArgs, ...words: string[]): string {
  return ['reconcile', ...words, ...targetFlags(args)].map(shellQuote).join(' ');
}

/** --desired as given on this run's command line (absolute), for a printed `reconcile --apply`. */
export function desiredFlags(args: CliArgs): string[] {
  return args.desired === undefined ? [] : ['--desired', path.resolve(args.desired)];
}

/**
 * Adds this run's --root/--state-dir to the `reconcile --history` and
 * `reconcile --rollback [RUN_ID]` hints that messages from below the CLI
 * carry (they do not know the command line), and --desired as well to a
 * `reconcile --apply` (rule remediations).
 */
export function withTargetFlags(text: string, args: CliArgs): string {
  const flags = targetFlags(args).map(shellQuote).join(' ');
  const applyFlags = [...desiredFlags(args), ...targetFlags(args)].map(shellQuote).join(' ');
  return text
    .replace(/\breconcile (--history|--rollback(?: (?:\d{8}T\d{6}Z-[0-9a-f]{6}|RUN_ID))?)(?![\w-])/g, (all, cmd: string) =>
      flags === '' ? all : `reconcile ${cmd} ${flags}`,
    )
    .replace(/\breconcile --apply(?![\w-])/g, (all) => (applyFlags === '' ? all : `${all} ${applyFlags}`));
}
