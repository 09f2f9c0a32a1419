// The reconcile command: parse, dispatch, turn errors into exit codes.
// The only place that decides what the process prints on failure.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { environmentalMessage, errorMessage, UserError } from '../errors.js';
import { packageRoot } from '../host/local-files.js';
import { escapeControls } from '../plan/render-escape.js';
import { parseArgs, USAGE, type CliArgs } from './args.js';
import { withTargetFlags } from './command-line.js';
import { resolveRoot } from './context.js';
import { modeHelp } from './mode-help.js';
import { processOutput, type Output } from './output.js';
import { humanOutput } from './terminal.js';

// Each mode's module is imported when that mode runs: a --validate or --plan
// does not load (or, in the bundle, even read) apply, rollback or history.

export async function main(argv: string[], raw: Output = processOutput): Promise<number> {
  let io = raw;
  let args: CliArgs | undefined;
  if (argv.length === 0) {
    // No mode is an error (a cron line that lost its mode must not "succeed").
    io.err(`reconcile: error: say what to do: --plan, --apply, --validate, --check, --history or --rollback.\n\n${USAGE}`);
    return 1;
  }
  try {
    args = parseArgs(argv);
    io = humanOutput(raw, args);
    if (args.help && args.mode !== 'help' && args.mode !== 'version') {
      io.out(modeHelp(args.mode));
      return 0;
    }
    if (args.desiredDigest !== undefined) await (await import('./desired-digest-check.js')).checkDesiredDigest(args, io.err);
    switch (args.mode) {
      case 'help':
        io.out(USAGE);
        return 0;
      case 'version': {
        const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'));
        io.out(`reconcile ${pkg.version}\n`);
        return 0;
      }
      case 'plan':
        return await (await import('./plan-command.js')).planCommand(args, io);
      case 'apply':
        return await (await import('./apply-command.js')).applyCommand(args, io);
      case 'validate':
        // --validate touches no host, but a --root given with it must still be a directory, not quietly ignored.
        await resolveRoot(args);
        return await (await import('./validate-command.js')).validateCommand(args, io);
      case 'check':
        return await (await import('./check-command.js')).checkCommand(args, io);
      case 'history':
        return await (await import('./history-command.js')).historyCommand(args, io);
      case 'rollback':
        return await (await import('./rollback-command.js')).rollbackCommand(args, io);
      case 'report-merge':
        return await (await import('./report-merge-command.js')).reportMergeCommand(args, io);
      default:
        throw new UserError(`--${args.mode} is not available in this version.`);
    }
  } catch (err) {
    const environmental = environmentalMessage(err);
    if (environmental !== null && !(err instanceof UserError)) {
      raw.err(escapeControls(`reconcile: error: ${environmental}\n`));
    } else if (err instanceof UserError) {
      // Error messages carry names from the host and hints to copy: escaped, with this run's --root/--state-dir.
      raw.err(escapeControls(`reconcile: error: ${args ? withTargetFlags(err.message, args) : err.message}\n`));
      // --desired-digest's mismatch exits 3 (desired-digest-check.ts); every other error 1.
      if ('exitCode' in err && typeof err.exitCode === 'number') return err.exitCode;
    } else {
      raw.err(escapeControls(`reconcile: internal error: ${errorMessage(err)}\n`));
      if (process.env.RECONCILE_DEBUG) raw.err(`${(err as Error).stack ?? ''}\n`);
      else raw.err('This is a bug in reconcile; set RECONCILE_DEBUG=1 to see where it happened.\n');
    }
    return 1;
  }
}
