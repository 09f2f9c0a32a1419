// End to end: the built `reconcile` command against the two incidents'
// example hosts, copied to temp roots with real device nodes added. What a
// test only sets up or reads back (an apply before the step under test, the
// JSON of a plan already shown as text) runs in-process through main(): each
// start of the built command costs about half a second of CPU.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../safety/snapshot.js';
import { canMakeDevices, charDevice, makeRoot, type TempRoot } from '../helpers/temp-root.js';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'dist/src/cli/bin.js');
const desired = path.join(repo, 'desired-state/ds01.yaml');

async function reconcile(args: string[]) {
  const r = await execa('node', [bin, ...args], { reject: false, cwd: repo, stdin: 'ignore' });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The same command in this process: for set-up and for reading back, where the process boundary is not what is tested. */
async function inProcess(args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

async function incidentRoot(name: string): Promise<TempRoot> {
  const root = await makeRoot({});
  await fs.cp(path.join(repo, 'examples/hosts', name), root.dir, { recursive: true, verbatimSymlinks: true });
  if (await canMakeDevices()) {
    // As the incidents left them: 0660 root:video (gid 44).
    await root.add({
      'dev/nvidia0': charDevice(195, 0, { mode: 0o660, gid: 44 }),
      'dev/nvidia1': charDevice(195, 1, { mode: 0o660, gid: 44 }),
      'dev/nvidiactl': charDevice(195, 255, { mode: 0o660, gid: 44 }),
      'dev/nvidia-uvm': charDevice(508, 0, { mode: 0o660, gid: 44 }),
    });
  }
  return root;
}

interface PlanJson {
  changes: { resource: string; kind: string; target: string; action: string; members?: { add: string[] } }[];
  summary: Record<string, number>;
  findings?: { rule: string; severity: string; target: string; status: string }[];
}

const roots: TempRoot[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => r.cleanup()));
});

async function fresh(name: string) {
  const root = await incidentRoot(name);
  roots.push(root);
  return root;
}

describe('incident 1: restrictive device permissions', () => {
  it('plans every fix, applies it, and then plans nothing', async () => {
    const root = await fresh('incident-1-device-permissions');
    const plan = await reconcile(['--plan', '--desired', desired, '--root', root.dir, '--format', 'json']);
    expect(plan.code).toBe(2);
    const json = JSON.parse(plan.stdout) as PlanJson;
    const byTarget = Object.fromEntries(json.changes.map((c) => [c.target, c]));
    expect(byTarget['/etc/modprobe.d/nvidia-permissions.conf']).toMatchObject({ kind: 'absent', action: 'delete' });
    expect(byTarget['/etc/udev/rules.d/99-ds01-nvidia.rules']).toMatchObject({ kind: 'absent', action: 'delete' });
    expect(byTarget['/var/lib/ds01/gpu-inventory.cache']).toMatchObject({ kind: 'absent', action: 'delete' });
    expect(byTarget['/usr/sbin/ub-device-create']).toMatchObject({ kind: 'restore-original', action: 'update' });
    expect(byTarget['/etc/profile.d/ds01-gpu-awareness.sh']).toMatchObject({ kind: 'profile-env', action: 'create' });
    // Paths are as seen inside the root, never prefixed with it.
    expect(plan.stdout).not.toContain(root.dir);
    if (await canMakeDevices()) {
      for (const dev of ['/dev/nvidia0', '/dev/nvidia1', '/dev/nvidiactl', '/dev/nvidia-uvm']) {
        expect(byTarget[dev]).toMatchObject({ kind: 'device-mode', action: 'update' });
      }
    }
    expect(json.summary.create + json.summary.update + json.summary.delete).toBe(json.changes.length);

    const originalBytes = await fs.readFile(root.path('/usr/sbin/ub-device-create.original'));
    const apply = await reconcile(['--apply', '--desired', desired, '--root', root.dir]);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('The host is converged.');

    expect(await fs.readFile(root.path('/usr/sbin/ub-device-create'))).toEqual(originalBytes);
    await expect(fs.lstat(root.path('/usr/sbin/ub-device-create.original'))).rejects.toThrow(/ENOENT/);
    await expect(fs.lstat(root.path('/etc/modprobe.d/nvidia-permissions.conf'))).rejects.toThrow(/ENOENT/);
    if (await canMakeDevices()) {
      const st = await fs.lstat(root.path('/dev/nvidia0'));
      expect(st.isCharacterDevice()).toBe(true);
      expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o666, 0, 0]);
    }

    // Backups hold the removed bytes.
    const [runId] = await fs.readdir(root.path('/var/lib/reconcile/backups'));
    const backup = await fs.readFile(root.path(`/var/lib/reconcile/backups/${runId}/etc/modprobe.d/nvidia-permissions.conf`), 'utf8');
    expect(backup).toContain('NVreg_DeviceFileMode=432');

    const again = await reconcile(['--plan', '--desired', desired, '--root', root.dir, '--format', 'json']);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as PlanJson).changes).toEqual([]);
  });

  it('a second apply changes nothing: no rewrite, mtimes untouched', async () => {
    const root = await fresh('incident-1-device-permissions');
    expect((await inProcess(['--apply', '--desired', desired, '--root', root.dir])).code).toBe(0);
    const watched = ['/etc/profile.d/ds01-gpu-awareness.sh', '/etc/group', '/usr/sbin/ub-device-create'];
    const before = await Promise.all(watched.map((p) => fs.lstat(root.path(p))));
    const runsBefore = await fs.readdir(root.path('/var/lib/reconcile/runs'));
    const second = await reconcile(['--apply', '--desired', desired, '--root', root.dir]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No changes');
    const after = await Promise.all(watched.map((p) => fs.lstat(root.path(p))));
    expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
    expect(await fs.readdir(root.path('/var/lib/reconcile/runs'))).toEqual(runsBefore);
  });
});

describe('incident 2: nvidia-smi wrapper and a cut-down video group', () => {
  it('shows who is added to video, removes the wrappers, keeps the real binary', async () => {
    const root = await fresh('incident-2-nvidia-smi-wrapper');
    const plan = await reconcile(['--plan', '--desired', desired, '--root', root.dir]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/^~ video {2}\(group video-includes-docker\)/m);
    for (const user of ['alice', 'bob', 'datasciencelab', 'h.baker@hertie-school.lan']) {
      expect(plan.stdout).toContain(`    + ${user}\n`);
    }
    expect(plan.stdout).toContain('--- a/etc/profile.d/ds01-gpu-awareness.sh');
    expect(plan.stdout).toContain('+++ b/etc/profile.d/ds01-gpu-awareness.sh');
    expect(plan.stdout).toMatch(/^- \/usr\/local\/bin\/nvidia-smi /m);
    expect(plan.stdout).toContain('left /usr/local/bin/nvidia-ctk');

    const json = JSON.parse((await inProcess(['--plan', '--desired', desired, '--root', root.dir, '--format', 'json'])).stdout) as PlanJson;
    const video = json.changes.find((c) => c.kind === 'group');
    expect(video).toMatchObject({ target: 'video', action: 'update', resource: 'video-includes-docker' });
    expect(video?.members?.add).toEqual(['alice', 'bob', 'datasciencelab', 'h.baker@hertie-school.lan']);

    expect((await reconcile(['--apply', '--desired', desired, '--root', root.dir])).code).toBe(0);
    const group = await fs.readFile(root.path('/etc/group'), 'utf8');
    expect(group).toContain('\nvideo:x:44:admin1,alice,bob,datasciencelab,h.baker@hertie-school.lan\n');
    const gshadow = await fs.readFile(root.path('/etc/gshadow'), 'utf8');
    expect(gshadow).toContain('\nvideo:*::admin1,alice,bob,datasciencelab,h.baker@hertie-school.lan\n');
    await expect(fs.lstat(root.path('/usr/local/bin/nvidia-smi'))).rejects.toThrow(/ENOENT/);
    expect((await fs.lstat(root.path('/usr/local/bin/nvidia-ctk'))).isFile()).toBe(true);
    // The wrapper's target outside /usr/local/bin is not ours to remove.
    expect((await fs.lstat(root.path('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh'))).isFile()).toBe(true);
  });

  it('renders markdown for code review', async () => {
    const root = await fresh('incident-2-nvidia-smi-wrapper');
    const md = await inProcess(['--plan', '--desired', desired, '--root', root.dir, '--format', 'markdown']);
    expect(md.code).toBe(2);
    expect(md.stdout).toContain('| ✏️ | `video` | group | video-includes-docker |');
    expect(md.stdout).toContain('```diff');
  });
});

describe('--check', () => {
  it('exits 2 with findings on an incident host and writes metrics and a report', async () => {
    const root = await fresh('incident-2-nvidia-smi-wrapper');
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-prom-'));
    const prom = path.join(out, 'textfile/reconcile.prom');
    const report = path.join(out, 'report.json');
    const r = await reconcile(['--check', '--desired', desired, '--root', root.dir, '--format', 'json', '--prom', prom, '--report', report]);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout) as PlanJson;
    const rules = new Set(json.findings?.map((f) => f.rule));
    expect(rules).toContain('nvidia-smi-wrapper');
    expect(rules).toContain('video-group-restricted');
    expect(json.summary.findings).toBeGreaterThan(0);
    const metrics = await fs.readFile(prom, 'utf8');
    expect(metrics).toMatch(/^reconcile_findings\{rule="nvidia-smi-wrapper",severity="critical"\} [1-9]/m);
    expect(metrics).toMatch(/^reconcile_check_success 1$/m);
    expect(JSON.parse(await fs.readFile(report, 'utf8')).findings.length).toBe(json.findings?.length);
    await fs.rm(out, { recursive: true, force: true });
  });

  it('exits 1 when the check cannot run, and says so in the metrics', async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-prom-'));
    const prom = path.join(out, 'reconcile.prom');
    const r = await reconcile(['--check', '--desired', path.join(out, 'missing.yaml'), '--root', repo, '--prom', prom]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.yaml');
    const metrics = await fs.readFile(prom, 'utf8');
    expect(metrics).toMatch(/^reconcile_check_success 0$/m);
    expect(metrics).toMatch(/^reconcile_last_check_timestamp_seconds \d+/m);
    await fs.rm(out, { recursive: true, force: true });
  });

  it('off a terminal, logs one summary line to syslog through logger', async () => {
    const root = await fresh('incident-2-nvidia-smi-wrapper');
    const bin = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-logger-'));
    const log = path.join(bin, 'calls');
    // A stand-in logger(1) that records its arguments: the real one would write to this machine's syslog.
    await fs.writeFile(path.join(bin, 'logger'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\n`, { mode: 0o755 });
    const r = await execa('node', [path.join(repo, 'dist/src/cli/bin.js'), '--check', '--desired', desired, '--root', root.dir], {
      reject: false,
      stdin: 'ignore',
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.exitCode).toBe(2);
    const args = (await fs.readFile(log, 'utf8')).trim().split('\n');
    expect(args.slice(0, 2)).toEqual(['-t', 'reconcile']);
    expect(args.at(-1)).toMatch(/^check DRIFT: \d+ change\(s\) pending, 0 error\(s\), findings: [1-9]\d* critical/);
    await fs.rm(bin, { recursive: true, force: true });
  });

  it('exits 0 on the host after apply', async () => {
    const root = await fresh('incident-2-nvidia-smi-wrapper');
    expect((await inProcess(['--apply', '--desired', desired, '--root', root.dir])).code).toBe(0);
    const r = await reconcile(['--check', '--desired', desired, '--root', root.dir, '--format', 'json']);
    expect(JSON.parse(r.stdout).findings.filter((f: { status: string }) => f.status === 'fail')).toEqual([]);
    expect(r.code).toBe(0);
  });
});

describe('bad input and usage', () => {
  it('exits 1 naming file, line and column, without a stack trace', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bad-'));
    const file = path.join(dir, 'bad.yaml');
    await fs.writeFile(file, 'version: 1\nresources:\n  - id: x\n    kind: device-mode\n    paths: [/dev/nvidia0]\n    mode: "0999"\n    owner: root\n    group: root\n');
    // The built command for one mode (its stderr is what a user sees); the others in-process.
    for (const [mode, run] of [['--plan', reconcile], ['--apply', inProcess], ['--validate', inProcess]] as const) {
      const r = await run([mode, '--desired', file, '--root', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${file}:6:11`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('never falls back to the bundled desired state', async () => {
    const r = await reconcile(['--plan', '--root', repo]);
    if (await fs.stat('/etc/reconcile/desired-state').catch(() => null)) return;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/etc/reconcile/desired-state');
    expect(r.stderr).toContain('--desired');
  });

  it('rejects unknown options and a missing root', async () => {
    const unknown = await reconcile(['--plan', '--desird', desired]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown option --desird');
    const noRoot = await inProcess(['--plan', '--desired', desired, '--root', '/nonexistent/root']);
    expect(noRoot.code).toBe(1);
    expect(noRoot.stderr).toContain('/nonexistent/root');
  });

  it('is runnable as `npx reconcile`, as the README says', async () => {
    // npm links the package's own bin without fixing its mode: the build must.
    expect((await fs.stat(bin)).mode & 0o111).toBe(0o111);
    const r = await execa('npx', ['--no-install', 'reconcile', '--version'], { reject: false, cwd: repo, stdin: 'ignore' });
    expect(r.stdout).toMatch(/^reconcile \d+\.\d+\.\d+$/m);
    expect(r.exitCode).toBe(0);
  });

  it('validates the bundled desired state', async () => {
    const r = await reconcile(['--validate', '--desired', desired]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: .*ds01\.yaml \(\d+ resources\)$/m);
  });
});
