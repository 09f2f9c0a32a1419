// The reconcile command: parse, dispatch, turn errors into exit codes.
// The only place that decides what the process prints on failure.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, UserError } from '../errors.js';
import { packageRoot } from '../host/local-files.js';
import { parseArgs, USAGE } from './args.js';
import { applyCommand } from './apply-command.js';
import { checkCommand } from './check-command.js';
import { resolveRoot } from './context.js';
import { historyCommand } from './history-command.js';
import { processOutput, type Output } from './output.js';
import { planCommand } from './plan-command.js';
import { reportMergeCommand } from './report-merge-command.js';
import { rollbackCommand } from './rollback-command.js';
import { validateCommand } from './validate-command.js';

export async function main(argv: string[], io: Output = processOutput): Promise<number> {
  try {
    const args = parseArgs(argv);
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
        return await planCommand(args, io);
      case 'apply':
        return await applyCommand(args, io);
      case 'validate':
        // --validate touches no host, but a --root given with it must still be a directory, not quietly ignored.
        await resolveRoot(args);
        return await validateCommand(args, io);
      case 'check':
        return await checkCommand(args, io);
      case 'history':
        return await historyCommand(args, io);
      case 'rollback':
        return await rollbackCommand(args, io);
      case 'report-merge':
        return await reportMergeCommand(args, io);
      default:
        throw new UserError(`--${args.mode} is not available in this version.`);
    }
  } catch (err) {
    if (err instanceof UserError) {
      io.err(`reconcile: error: ${err.message}\n`);
    } else {
      io.err(`reconcile: internal error: ${errorMessage(err)}\n`);
      if (process.env.RECONCILE_DEBUG) io.err(`${(err as Error).stack ?? ''}\n`);
      else io.err('This is a bug in reconcile; set RECONCILE_DEBUG=1 to see where it happened.\n');
    }
    return 1;
  }
}
