// The role without a fleet: Ansible's own syntax check of the README's
// playbook, the house rule (no shell, commands as argv), and the README
// showing the same playbook as contrib/ansible/site.yml.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';

const ROLE = path.resolve('contrib/ansible/roles/reconcile');
const SITE = path.resolve('contrib/ansible/site.yml');

const hasAnsible = (await execa('ansible-playbook', ['--version'], { reject: false })).exitCode === 0;
if (!hasAnsible && process.env.CI === 'true') throw new Error('ansible-playbook (Debian package ansible) is missing; .ci/run installs it');
if (!hasAnsible) console.warn('skipping the Ansible syntax check: ansible-playbook is not installed');

interface Task {
  name?: string;
  block?: Task[];
  [module: string]: unknown;
}

function flatten(tasks: Task[]): Task[] {
  return tasks.flatMap((t) => (t.block ? [t, ...flatten(t.block)] : [t]));
}

describe('contrib/ansible role reconcile', () => {
  (hasAnsible ? it : it.skip)('passes ansible-playbook --syntax-check', async () => {
    const r = await execa('ansible-playbook', ['--syntax-check', '-i', 'localhost,', SITE], {
      reject: false,
      env: { ANSIBLE_ROLES_PATH: path.dirname(ROLE), ANSIBLE_NOCOLOR: '1', HOME: process.env.HOME ?? '/root' },
    });
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/ERROR/);
    expect(r.exitCode).toBe(0);
  });

  it('runs commands as argv lists, never through a shell', async () => {
    const tasks = flatten(parse(await fs.readFile(path.join(ROLE, 'tasks/main.yml'), 'utf8')) as Task[]);
    expect(tasks.filter((t) => 'shell' in t || 'ansible.builtin.shell' in t || 'raw' in t || 'ansible.builtin.raw' in t).map((t) => t.name)).toEqual([]);
    const commands = tasks.filter((t) => 'ansible.builtin.command' in t);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const t of commands) expect(Object.keys(t['ansible.builtin.command'] as object)).toEqual(['argv']);
    const apply = commands.find((t) => JSON.stringify(t).includes('--apply'))!;
    expect(JSON.stringify(apply)).toContain('--detailed-exitcode');
    expect(apply.changed_when).toBe('reconcile_applied.rc == 2');
    const module = await fs.readFile(path.join(ROLE, 'library/reconcile_plan.py'), 'utf8');
    expect(module).not.toMatch(/use_unsafe_shell|shell=True|os\.system|subprocess/);
  });

  it('is shown in the README as contrib/ansible/site.yml', async () => {
    const readme = await fs.readFile(path.resolve('README.md'), 'utf8');
    expect(readme).toContain('```yaml\n' + (await fs.readFile(SITE, 'utf8')) + '```');
  });
});
