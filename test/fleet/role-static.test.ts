// The role without a fleet: Ansible's own syntax check of the README's
// playbook, the house rule (no shell, commands as argv), and the README
// showing the same playbook as contrib/ansible/site.yml.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import os from 'node:os';
import { parse } from 'yaml';
import { desiredDigest } from '../../src/model/desired-digest.js';

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

/** The Python that runs Ansible (the action plugin imports ansible), from ansible-playbook's #! line. */
async function ansiblePython(): Promise<string> {
  const playbook = String((await execa('sh', ['-c', 'command -v ansible-playbook'])).stdout).trim();
  return /^#!\s*(\S+)/.exec(await fs.readFile(playbook, 'utf8'))?.[1] ?? 'python3';
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
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.filter((a) => !a.startsWith('[') && !/argv$/.test(a))).toEqual([]);
    expect(action).toMatch(/argv = \[args\["reconcile"\], "--apply", "--detailed-exitcode", "--format", "json"/);
    // The direct run goes over ssh, through the remote shell as every Ansible command does: quoted element by element.
    const direct = [...action.matchAll(/_low_level_execute_command\(([^\n]*)\)/g)].map((m) => m[1]!);
    expect(direct).toEqual(['" ".join(shlex.quote(a) for a in argv), sudoable=True, in_data=b"\\n"']);
    const remote = [...action.matchAll(/self\._remote\(([^)\n]*)\)/g)].map((m) => m[1]!);
    expect(remote.length).toBeGreaterThanOrEqual(2);
    expect(remote.filter((a) => !a.startsWith('[') && !/argv$/.test(a))).toEqual([]);
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

  (hasAnsible ? it : it.skip)("computes reconcile's desired-state digest of the copy it lays out, marker included", async () => {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-role-digest-'));
    try {
      const src = path.join(work, 'src');
      await fs.mkdir(path.join(src, 'sources/sub'), { recursive: true });
      await fs.writeFile(path.join(src, 'ds01.yaml'), 'version: 1\nresources: []\n');
      await fs.writeFile(path.join(src, 'sources/wrapper.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      await fs.writeFile(path.join(src, 'sources/sub/.hidden'), 'x');
      await fs.mkdir(path.join(src, 'empty'));
      const script = [
        'import json, sys',
        `sys.path.insert(0, ${JSON.stringify(path.join(ROLE, 'action_plugins'))})`,
        'import reconcile_host as r',
        `files, dirs = r.desired_tree(${JSON.stringify(src)})`,
        'files.append(r.marker_file("0123abcd", files, dirs))',
        'print(json.dumps({"digest": r.desired_digest(files, dirs), "files": files, "dirs": dirs}))',
      ].join('\n');
      const py = await execa(await ansiblePython(), ['-B', '-c', script]);
      const { digest, files, dirs } = JSON.parse(String(py.stdout)) as { digest: string; files: { path: string; content: string }[]; dirs: string[] };
      // The host's copy as the module writes it: the directories, the files, the marker.
      const dest = path.join(work, 'dest');
      await fs.mkdir(dest);
      for (const d of dirs) await fs.mkdir(path.join(dest, d), { recursive: true });
      for (const f of files) await fs.writeFile(path.join(dest, f.path), Buffer.from(f.content, 'base64'));
      expect(files.map((f) => f.path).sort()).toEqual(['.reconcile-role.json', 'ds01.yaml', 'sources/sub/.hidden', 'sources/wrapper.sh']);
      expect(digest).toBe(desiredDigest(dest));
      // And only that copy: one more file on the host is another digest.
      await fs.writeFile(path.join(dest, 'stray.yaml'), '');
      expect(desiredDigest(dest)).not.toBe(digest);
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  });

  (hasAnsible ? it : it.skip)("reads an apply's outcome: 2 changed, 0 ok, anything else failed with what failed; no report fails too", async () => {
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(path.join(ROLE, 'action_plugins'))})`,
      'import reconcile_host as r',
      'class Task: args = {"report_path": "/var/lib/reconcile/last-check.json"}',
      'plugin = object.__new__(r.ActionModule)',
      'plugin._task = Task()',
      'def read(rc, out, err="", report={"changes": []}):',
      '    result = {"changed": False, "run": {"cmd": ["reconcile"], "exit_code": rc, "stdout": json.dumps(out), "stderr": err}, "report": report}',
      '    plugin._read_apply(result)',
      '    return {k: result.get(k) for k in ("changed", "failed", "msg")}',
      'failed_out = {"errors": [{"resource": "g", "message": "group nosuch does not exist"}],',
      '              "outcomes": [{"target": "/etc/x", "resource": "f", "status": "failed", "message": "read-only file system"}, {"target": "/etc/y", "resource": "f", "status": "applied", "message": "ok"}]}',
      'print(json.dumps([read(2, {}), read(0, {}), read(1, failed_out, "reconcile: error: 1 failed"), read(0, {}, "", None)]))',
    ].join('\n');
    const [changed, ok, failed, noReport] = JSON.parse(String((await execa(await ansiblePython(), ['-B', '-c', script])).stdout)) as Record<string, unknown>[];
    expect(changed).toEqual({ changed: true, failed: null, msg: null });
    expect(ok).toEqual({ changed: false, failed: null, msg: null });
    expect(failed).toEqual({
      changed: false,
      failed: true,
      msg: 'reconcile --apply failed (exit 1):\nreconcile: error: 1 failed\n- g: group nosuch does not exist\n- /etc/x (f): read-only file system',
    });
    expect(noReport).toMatchObject({ failed: true, msg: expect.stringContaining('wrote no readable report at /var/lib/reconcile/last-check.json') });
  });
});
