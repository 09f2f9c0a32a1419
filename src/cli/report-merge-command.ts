// --report-merge DIR: the fleet table from the per-host JSON reports in DIR
// (<host>.json, as the Ansible role fetches them). Exit 0 every host ok,
// 2 some host drifted or failed, 1 DIR unusable.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { fleetExitCode, mergeReports, type ReportInput } from '../fleet/merge-reports.js';
import { renderFleetMarkdown, renderFleetText } from '../fleet/render-fleet.js';
import type { CliArgs } from './args.js';
import type { Output } from './output.js';

async function readReports(dir: string): Promise<ReportInput[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch (err) {
    throw new UserError(`--report-merge ${dir}: cannot read the directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Give the directory the reports were fetched into (one <host>.json per host).`);
  }
  if (names.length === 0) throw new UserError(`--report-merge ${dir}: no *.json reports there. Fetch each host's \`reconcile --check --report FILE\` into it as <host>.json (the Ansible role in contrib/ansible does).`);
  return Promise.all(
    names.map(async (name) => {
      const host = name.slice(0, -'.json'.length);
      try {
        return { host, text: await fs.readFile(path.join(dir, name), 'utf8') };
      } catch (err) {
        return { host, readError: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
      }
    }),
  );
}

export async function reportMergeCommand(args: CliArgs, io: Output): Promise<number> {
  const view = mergeReports(await readReports(args.reportDir!));
  if (args.format === 'json') io.out(JSON.stringify(view, null, 2) + '\n');
  else if (args.format === 'markdown') io.out(renderFleetMarkdown(view));
  else io.out(renderFleetText(view));
  return fleetExitCode(view);
}
