// --target ID_OR_TARGET on --plan, --apply and --check: each kind narrowed
// by its id and by one of its targets, the output says it is partial, and an
// unknown selector names the closest id or target.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput } from '../safety/snapshot.js';

let s: Scenario;
beforeEach(async () => {
  s = await makeScenario();
});
afterEach(async () => {
  await s.cleanup();
});

async function run(...argv: string[]) {
  const io = captureOutput();
  const code = await main([...argv, '--desired', s.desired, '--root', s.root.dir], io);
  return { code, ...io };
}

interface PlanJson {
  changes: { resource: string; kind: string; target: string }[];
  unchanged: { resource: string; target: string }[];
  partial?: { targets: string[] };
}

async function planJson(...targets: string[]): Promise<PlanJson> {
  const r = await run('--plan', '--format', 'json', ...targets.flatMap((t) => ['--target', t]));
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as PlanJson;
}

// One target per kind in the scenario: [kind, resource id, one target it changes].
const kinds: Array<[string, string, string]> = [
  ['file', 'managed', '/etc/managed.conf'],
  ['absent', 'legacy-files', '/etc/modprobe.d/nvidia-permissions.conf'],
  ['profile-env', 'profile', '/etc/profile.d/ds01-gpu-awareness.sh'],
  ['group', 'staff', 'staff'],
  ['restore-original', 'ub-device-create', '/usr/sbin/ub-device-create'],
  ['device-mode', 'devices', '/dev/nvidia0'],
];

describe.each(kinds)('--target on %s', (kind, id, target) => {
  it('by id: only that resource, marked partial', async () => {
    if (kind === 'device-mode' && !s.devices) return console.warn('skipped: needs root with CAP_MKNOD for a device node');
    const plan = await planJson(id);
    expect(plan.changes.length).toBeGreaterThan(0);
    expect(new Set(plan.changes.map((c) => c.resource))).toEqual(new Set([id]));
    expect(plan.partial).toEqual({ targets: [id] });
  });

  it('by target: only that path or group', async () => {
    if (kind === 'device-mode' && !s.devices) return console.warn('skipped: needs root with CAP_MKNOD for a device node');
    const plan = await planJson(target);
    expect(plan.changes.map((c) => [c.kind, c.target])).toEqual([[kind, target]]);
    expect(plan.unchanged).toEqual([]);
  });
});

describe('--target', () => {
  it('absent: one path of several, and a directory tree', async () => {
    const plan = await planJson('/var/cache/legacy');
    expect(plan.changes.map((c) => c.target)).toEqual(['/var/cache/legacy']);
  });

  it('repeated: the union, in desired-state order', async () => {
    const plan = await planJson('staff', 'managed');
    expect(plan.changes.map((c) => c.target)).toEqual(['/etc/managed.conf', 'staff']);
    expect(plan.partial).toEqual({ targets: ['staff', 'managed'] });
  });

  it('text and markdown say the plan is partial', async () => {
    const text = await run('--plan', '--target', 'staff');
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^Warning: partial run: limited to --target staff/);
    const md = await run('--plan', '--format', 'markdown', '--target', 'staff');
    expect(md.stdout).toMatch(/^> \*\*Warning: partial run: limited to --target staff/);
  });

  it('an unknown id or target is an error naming the closest match', async () => {
    const r = await run('--plan', '--target', '/etc/managed.cnf');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--target /etc/managed.cnf: no resource has that id, and no resource manages that path or group; did you mean /etc/managed.conf?');
    const id = await run('--plan', '--target', 'ub-device-creat');
    expect(id.stderr).toContain('did you mean ub-device-create?');
  });

  it('a path a glob would match, with nothing there, is known and plans nothing', async () => {
    const plan = await planJson('/usr/local/bin/nvidia-settings');
    expect(plan.changes).toEqual([]);
    expect(plan.partial).toEqual({ targets: ['/usr/local/bin/nvidia-settings'] });
  });

  it('--apply applies only the target; the rest stays pending', async () => {
    const managedBefore = await fs.readFile(s.root.path('/etc/managed.conf'), 'utf8');
    const r = await run('--apply', '--target', 'staff', '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.outcomes.map((o: { target: string }) => o.target)).toEqual(['staff']);
    expect(result.partial).toEqual({ targets: ['staff'] });
    expect(await fs.readFile(s.root.path('/etc/group'), 'utf8')).toContain('staff:x:50:alice,carol\n');
    expect(await fs.readFile(s.root.path('/etc/managed.conf'), 'utf8')).toBe(managedBefore);
    const rest = await planJson();
    expect(rest.changes.map((c) => c.target)).not.toContain('staff');
    expect(rest.changes.map((c) => c.target)).toContain('/etc/managed.conf');
    expect(rest.partial).toBeUndefined();
  });

  it('--check with --target reports drift of that target only, partial', async () => {
    const r = await run('--check', '--target', 'managed', '--format', 'json');
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout);
    expect(json.changes.map((c: { target: string }) => c.target)).toEqual(['/etc/managed.conf']);
    expect(json.partial).toEqual({ targets: ['managed'] });
  });

  it('a saved plan made with --target applies only that, and re-plans only that', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-target-plan-'));
    try {
      const file = path.join(dir, 'plan.json');
      expect((await run('--plan', '--target', 'managed', '--out', file)).code).toBe(2);
      const io = captureOutput();
      const code = await main(['--apply', '--plan-file', file, '--root', s.root.dir], io);
      expect(io.stderr).toBe('');
      expect(code).toBe(0);
      expect(io.stdout).toContain('Warning: partial run: limited to --target managed');
      expect(io.stdout).toContain('The host is converged.');
      expect(await fs.readFile(s.root.path('/etc/managed.conf'), 'utf8')).toBe('new content\n');
      expect((await planJson()).changes.length).toBeGreaterThan(0);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
