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

/** Every run_command call's first argument in the module's source. */
function runCommandArgs(source: string): string[] {
  return [...source.matchAll(/run_command\(\s*([^,)]+)/g)].map((m) => m[1]!.trim());
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
    for (const t of tasks.filter((t) => 'ansible.builtin.command' in t)) expect(Object.keys(t['ansible.builtin.command'] as object)).toEqual(['argv']);
    const module = await fs.readFile(path.join(ROLE, 'library/reconcile_host.py'), 'utf8');
    const action = await fs.readFile(path.join(ROLE, 'action_plugins/reconcile_host.py'), 'utf8');
    for (const source of [module, action]) expect(source).not.toMatch(/use_unsafe_shell|shell=True|os\.system|os\.popen|subprocess/);
    // Each command is a list literal or a list built in a variable named *argv.
    const calls = runCommandArgs(module);
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.filter((a) => !a.startsWith('[') && !/argv$/.test(a))).toEqual([]);
    expect(module).toMatch(/apply_argv = \[params\["reconcile"\], "--apply", "--detailed-exitcode"/);
  });

  it('costs one remote task a host: the plan or apply, the install and the copy are one action', async () => {
    const tasks = flatten(parse(await fs.readFile(path.join(ROLE, 'tasks/main.yml'), 'utf8')) as Task[]);
    const onHosts = tasks.filter((t) => t.delegate_to !== 'localhost');
    expect(onHosts.map((t) => Object.keys(t).find((k) => !['name', 'tags', 'when'].includes(k)))).toEqual(['reconcile_host']);
  });

  it('is shown in the README as contrib/ansible/site.yml', async () => {
    const readme = await fs.readFile(path.resolve('README.md'), 'utf8');
    expect(readme).toContain('```yaml\n' + (await fs.readFile(SITE, 'utf8')) + '```');
  });
});
