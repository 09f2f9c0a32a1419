// Saved plans end to end with the built CLI: --plan --out, then --apply
// --plan-file on the example hosts and on a scenario with every kind; a plan
// that no longer matches the host, root or machine is refused whole, with the
// root byte-identical afterwards.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { ensureBuilt, repo, runCli } from '../safety/built-cli.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { snapshot } from '../safety/snapshot.js';

const desired = path.join(repo, 'desired-state/ds01.yaml');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
});
beforeAll(ensureBuilt);

async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-plans-'));
  cleanups.push(() => fs.rm(d, { recursive: true, force: true }));
  return d;
}

async function exampleRoot(name: string): Promise<TempRoot> {
  const root = await makeRoot({});
  cleanups.push(root.cleanup);
  await fs.cp(path.join(repo, 'examples/hosts', name), root.dir, { recursive: true, verbatimSymlinks: true });
  return root;
}

async function scenario(): Promise<Scenario> {
  const s = await makeScenario();
  cleanups.push(s.cleanup);
  return s;
}

/** Every entry of the root, the state dir included: a refused apply must not even create it. */
const whole = (root: TempRoot) => snapshot(root.dir, []);

describe.each(['incident-1-device-permissions', 'incident-2-nvidia-smi-wrapper'])('saved plan round trip on %s', (host) => {
  it('saves the plan (0600), applies exactly it without the desired state, converges, and is journaled', async () => {
    const root = await exampleRoot(host);
    const dir = await tempDir();
    // The desired state lives only as long as the plan: apply must not need it.
    const desiredCopy = path.join(dir, 'desired.yaml');
    await fs.copyFile(desired, desiredCopy);
    const planFile = path.join(dir, 'plan.json');
    const plan = await runCli(['--plan', '--desired', desiredCopy, '--root', root.dir, '--out', planFile]);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`Saved this plan to ${planFile}`);
    expect((await fs.stat(planFile)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await fs.readFile(planFile, 'utf8'));
    expect(saved).toMatchObject({ formatVersion: 1, type: 'reconcile-plan', tool: { name: 'reconcile' }, root: { given: root.dir, canonical: root.dir } });
    expect(saved.host.hostname).toBe(os.hostname());
    expect(saved.desired.files[0]).toMatchObject({ path: desiredCopy, text: await fs.readFile(desired, 'utf8') });
    expect(saved.desired.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(saved.rules.files.length).toBeGreaterThan(0);
    const planned = JSON.parse((await runCli(['--plan', '--desired', desired, '--root', root.dir, '--format', 'json'])).stdout);
    expect(saved.plan.changes.map((c: { target: string; op: unknown }) => [c.target, c.op])).toEqual(
      planned.changes.map((c: { target: string; op: unknown }) => [c.target, c.op]),
    );
    await fs.rm(desiredCopy);

    const before = await snapshot(root.dir);
    const apply = await runCli(['--apply', '--plan-file', planFile, '--root', root.dir, '--format', 'json']);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    const result = JSON.parse(apply.stdout);
    expect(result.converged).toBe(true);
    expect(result.outcomes.map((o: { target: string }) => o.target)).toEqual(saved.plan.changes.map((c: { target: string }) => c.target));
    expect(result.outcomes.every((o: { status: string }) => o.status === 'applied')).toBe(true);
    expect((await runCli(['--plan', '--desired', desired, '--root', root.dir])).code).toBe(0);

    // Journaled like any apply: --history lists it, --rollback puts everything back.
    const history = JSON.parse((await runCli(['--history', '--root', root.dir, '--format', 'json'])).stdout);
    expect(history.runs[0]).toMatchObject({ runId: result.runId, operation: 'apply', outcome: 'converged' });
    const rollback = await runCli(['--rollback', '--root', root.dir]);
    expect(rollback.code).toBe(0);
    expect(await snapshot(root.dir)).toEqual(before);
  });
});

describe('a desired state that reads --source files', () => {
  it('is saved with its source root, and the plan applies without --source (the contents are in the plan)', async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, 'src/conf'), { recursive: true });
    await fs.writeFile(path.join(dir, 'src/conf/motd'), 'reviewed\n');
    const file = path.join(dir, 'd.yaml');
    await fs.writeFile(file, 'version: 1\nresources:\n  - id: motd\n    kind: file\n    path: /etc/motd\n    source: conf/motd\n');
    const root = await makeRoot({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n', 'etc/group': 'root:x:0:\n' });
    cleanups.push(root.cleanup);
    const planFile = path.join(dir, 'plan.json');
    const plan = await runCli(['--plan', '--desired', file, '--source', path.join(dir, 'src'), '--root', root.dir, '--out', planFile]);
    expect([plan.code, plan.stderr]).toEqual([2, '']);
    expect(JSON.parse(await fs.readFile(planFile, 'utf8')).desired.sourceRoot).toBe(path.join(dir, 'src'));
    const apply = await runCli(['--apply', '--plan-file', planFile, '--root', root.dir]);
    expect([apply.code, apply.stderr]).toEqual([0, '']);
    expect(await fs.readFile(root.path('/etc/motd'), 'utf8')).toBe('reviewed\n');
  });
});

describe('a plan with no changes', () => {
  it('is still written, and applying it changes nothing and exits 0', async () => {
    const s = await scenario();
    expect((await runCli(['--apply', '--desired', s.desired, '--root', s.root.dir])).code).toBe(0);
    const planFile = path.join(await tempDir(), 'empty.json');
    expect((await runCli(['--plan', '--desired', s.desired, '--root', s.root.dir, '--out', planFile])).code).toBe(0);
    expect(JSON.parse(await fs.readFile(planFile, 'utf8')).plan.changes).toEqual([]);
    const runs = await fs.readdir(s.root.path('/var/lib/reconcile/runs'));
    const before = await whole(s.root);
    const apply = await runCli(['--apply', '--plan-file', planFile, '--root', s.root.dir]);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('No changes');
    expect(await whole(s.root)).toEqual(before);
    expect(await fs.readdir(s.root.path('/var/lib/reconcile/runs'))).toEqual(runs);
  });
});

describe('a stale plan is refused whole', () => {
  const cases: Array<[string, (s: Scenario) => Promise<void>, RegExp]> = [
    [
      'file content',
      (s) => fs.appendFile(s.root.path('/etc/managed.conf'), 'edited by hand\n'),
      /\/etc\/managed\.conf changed since the plan was made \(content changed\)/,
    ],
    ['a mode', (s) => fs.chmod(s.root.path('/etc/gone.conf'), 0o600), /\/etc\/gone\.conf changed since the plan was made \(mode 0640 -> 0600\)/],
    [
      'a group member',
      async (s) => {
        const group = await fs.readFile(s.root.path('/etc/group'), 'utf8');
        await fs.writeFile(s.root.path('/etc/group'), group.replace('staff:x:50:alice,bob,carol', 'staff:x:50:alice,bob,carol,dave'));
      },
      /\/etc\/group changed since the plan was made \(staff gained dave\)/,
    ],
    [
      'a symlink target',
      async (s) => {
        const link = s.root.path('/usr/local/bin/nvidia-smi');
        await fs.rm(link);
        await fs.symlink('/opt/ds01-infra/scripts/admin/nvidia-wrapper.sh.new', link);
      },
      /\/usr\/local\/bin\/nvidia-smi changed since the plan was made \(it now points at \/opt\/ds01-infra\/scripts\/admin\/nvidia-wrapper\.sh\.new, not \/opt\/ds01-infra\/scripts\/admin\/nvidia-wrapper\.sh\)/,
    ],
    [
      'the original a restore renames back',
      (s) => fs.appendFile(s.root.path('/usr/sbin/ub-device-create.original'), '# patched\n'),
      /\/usr\/sbin\/ub-device-create\.original changed since the plan was made \(content changed\)/,
    ],
  ];

  it.each(cases)('%s changed between plan and apply: nothing changes, exit 1, the target is named', async (_name, edit, message) => {
    const s = await scenario();
    const planFile = path.join(await tempDir(), 'plan.json');
    expect((await runCli(['--plan', '--desired', s.desired, '--root', s.root.dir, '--out', planFile])).code).toBe(2);
    await edit(s);
    const before = await whole(s.root);
    const apply = await runCli(['--apply', '--plan-file', planFile, '--root', s.root.dir]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/^reconcile: error: plan is stale: /);
    expect(apply.stderr).toMatch(message);
    expect(apply.stderr).toContain('run --plan again');
    expect(apply.stderr.trim().split('\n')).toHaveLength(1);
    expect(await whole(s.root)).toEqual(before);
  });

  it('a device node whose mode changed is stale too', async () => {
    const s = await scenario();
    if (!s.devices) return console.warn('skipped: needs root with CAP_MKNOD for a device node');
    const planFile = path.join(await tempDir(), 'plan.json');
    await runCli(['--plan', '--desired', s.desired, '--root', s.root.dir, '--out', planFile]);
    await fs.chmod(s.root.path('/dev/nvidia0'), 0o600);
    const before = await whole(s.root);
    const apply = await runCli(['--apply', '--plan-file', planFile, '--root', s.root.dir]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/\/dev\/nvidia0 changed since the plan was made \(mode 0660 -> 0600\)/);
    expect(await whole(s.root)).toEqual(before);
  });

  it('applying the same plan twice: the second is stale and changes nothing', async () => {
    const s = await scenario();
    const planFile = path.join(await tempDir(), 'plan.json');
    await runCli(['--plan', '--desired', s.desired, '--root', s.root.dir, '--out', planFile]);
    expect((await runCli(['--apply', '--plan-file', planFile, '--root', s.root.dir])).code).toBe(0);
    const before = await whole(s.root);
    const again = await runCli(['--apply', '--plan-file', planFile, '--root', s.root.dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('plan is stale');
    expect(await whole(s.root)).toEqual(before);
  });
});

describe('a plan for another root or host', () => {
  it('is refused for another root, and accepted through a symlink to its own root', async () => {
    const a = await exampleRoot('incident-2-nvidia-smi-wrapper');
    const b = await exampleRoot('incident-2-nvidia-smi-wrapper');
    const dir = await tempDir();
    const planFile = path.join(dir, 'plan.json');
    await runCli(['--plan', '--desired', desired, '--root', a.dir, '--out', planFile]);
    const before = await whole(b);
    const other = await runCli(['--apply', '--plan-file', planFile, '--root', b.dir]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`was made for root ${a.dir}`);
    expect(other.stderr).toContain('Nothing was changed');
    expect(await whole(b)).toEqual(before);
    // Without --root the plan would go to /: refused the same way.
    const live = await runCli(['--apply', '--plan-file', planFile]);
    expect(live.code).toBe(1);
    expect(live.stderr).toContain(`was made for root ${a.dir}`);

    const link = path.join(dir, 'root-link');
    await fs.symlink(a.dir, link);
    expect((await runCli(['--apply', '--plan-file', planFile, '--root', link])).code).toBe(0);
  });

  it('is refused when the root has another machine-id', async () => {
    const root = await exampleRoot('incident-2-nvidia-smi-wrapper');
    await fs.writeFile(root.path('/etc/machine-id'), '0123456789abcdef0123456789abcdef\n', { mode: 0o444 });
    const planFile = path.join(await tempDir(), 'plan.json');
    await runCli(['--plan', '--desired', desired, '--root', root.dir, '--out', planFile]);
    expect(JSON.parse(await fs.readFile(planFile, 'utf8')).host.machineId).toBe('0123456789abcdef0123456789abcdef');
    await fs.writeFile(root.path('/etc/machine-id'), 'fedcba9876543210fedcba9876543210\n');
    const before = await whole(root);
    const apply = await runCli(['--apply', '--plan-file', planFile, '--root', root.dir]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('was made on another host (machine-id 0123456789abcdef0123456789abcdef in the plan, fedcba9876543210fedcba9876543210 here)');
    expect(await whole(root)).toEqual(before);
  });
});

describe('flags', () => {
  it('--plan-file takes neither --desired nor --target; --out is for --plan only', async () => {
    const withDesired = await runCli(['--apply', '--plan-file', 'p.json', '--desired', desired]);
    expect(withDesired.code).toBe(1);
    expect(withDesired.stderr).toContain('--plan-file and --desired cannot be combined');
    const withTarget = await runCli(['--apply', '--plan-file', 'p.json', '--target', 'video']);
    expect(withTarget.stderr).toContain('--plan-file and --target cannot be combined');
    const outOnApply = await runCli(['--apply', '--out', 'p.json']);
    expect(outOnApply.code).toBe(1);
    expect(outOnApply.stderr).toContain('--out does not apply to --apply');
  });
});
