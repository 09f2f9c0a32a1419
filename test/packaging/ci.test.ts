// packaging/ci: the sudoers file passes visudo, and the workflow runs exactly
// the commands the sudoers file allows, with flags reconcile accepts.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { parseArgs } from '../../src/cli/args.js';

const ci = path.resolve(import.meta.dirname, '../../packaging/ci');
const sudoers = path.join(ci, 'sudoers.d/reconcile-deploy');

async function visudo(): Promise<string | null> {
  for (const p of ['/usr/sbin/visudo', '/usr/bin/visudo']) if (await fs.stat(p).catch(() => null)) return p;
  return null;
}

interface Step {
  run?: string;
}

async function workflowRuns(): Promise<string[]> {
  const wf = parse(await fs.readFile(path.join(ci, 'reconcile-workflow.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
  return Object.values(wf.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? s.run.split('\n') : [])));
}

/** The Cmnd_Alias lines of the sudoers file: name -> command. */
async function aliases(): Promise<Record<string, string>> {
  const text = await fs.readFile(sudoers, 'utf8');
  return Object.fromEntries([...text.matchAll(/^Cmnd_Alias (\w+) = (.+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

it('the sudoers file passes visudo -cf', async () => {
  const bin = await visudo();
  if (bin === null) {
    if (process.env.CI === 'true') throw new Error('visudo (package sudo) is missing: CI must check the sudoers file');
    return console.warn('skipped: visudo is not installed (apt-get install sudo)');
  }
  const r = await execa(bin, ['-cf', sudoers], { reject: false });
  expect(r.stdout + r.stderr).toContain('parsed OK');
  expect(r.exitCode).toBe(0);
});

it('visudo would catch a broken line (the check is real)', async () => {
  const bin = await visudo();
  if (bin === null) return console.warn('skipped: visudo is not installed');
  const broken = path.join(await fs.mkdtemp('/tmp/reconcile-sudoers-'), 'broken');
  await fs.writeFile(broken, (await fs.readFile(sudoers, 'utf8')).replace('NOPASSWD:', 'NOPASSWD'));
  expect((await execa(bin, ['-cf', broken], { reject: false })).exitCode).not.toBe(0);
  await fs.rm(path.dirname(broken), { recursive: true });
});

it('every sudo in the workflow is a command the sudoers file allows, exactly', async () => {
  const allowed = Object.values(await aliases());
  const sudos = (await workflowRuns()).map((l) => l.trim()).filter((l) => l.startsWith('sudo '));
  expect(sudos.length).toBe(2);
  for (const line of sudos) expect(allowed).toContain(line.replace(/^sudo -n /, ''));
});

it('the reconcile commands in the workflow and sudoers file parse, and the apply takes the plan file from the handover', async () => {
  const a = await aliases();
  const apply = a.RECONCILE_DEPLOY!.split(' ').slice(1);
  const parsed = parseArgs(apply);
  expect(parsed).toMatchObject({ mode: 'apply', planFile: '/etc/reconcile/deploy/plan.json', root: '/' });
  expect(a.RECONCILE_HANDOVER!.endsWith(` ${parsed.planFile}`)).toBe(true);
  const plan = (await workflowRuns()).find((l) => l.trim().startsWith('reconcile --plan'))!;
  const argv = plan.trim().split(' > ')[0]!.split(' ').slice(1);
  expect(parseArgs(argv)).toMatchObject({ mode: 'plan', format: 'markdown', out: 'plan.json' });
});
