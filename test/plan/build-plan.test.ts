// Two resources that manage one target would undo each other on every apply:
// the plan makes that an error for both, naming both and where they are
// declared, and plans nothing for the target.

import { buildPlan } from '../../src/plan/build-plan.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import type { Resource } from '../../src/model/types.js';
import { canMakeDevices, charDevice, makeRoot, type TempRoot } from '../helpers/temp-root.js';

const at = (line: number) => ({ file: 'ds.yaml', line, column: 5 });
const fileRes = (id: string, p: string, content: string, line: number): Resource => ({
  id,
  kind: 'file',
  path: p,
  state: 'present',
  content,
  source: at(line),
});
const absentRes = (id: string, paths: string[], line: number): Resource => ({
  id,
  kind: 'absent',
  paths,
  allowDirectories: false,
  source: at(line),
});

const devices = await canMakeDevices();
let root: TempRoot;
afterEach(async () => {
  await root.cleanup();
});

describe('buildPlan: one target, two resources', () => {
  it('two file resources for one path: an error for each, naming both with file:line, and no change', async () => {
    root = await makeRoot({ 'etc/x': 'old\n', 'etc/y': 'old\n' });
    const plan = await buildPlan(new RootedHost(root.dir), [
      fileRes('x', '/etc/x', 'hi\n', 3),
      fileRes('y', '/etc/x', 'bye\n', 9),
      fileRes('other', '/etc/y', 'new\n', 15),
    ]);
    expect(plan.changes.map((c) => c.target)).toEqual(['/etc/y']);
    expect(plan.errors.map((e) => [e.resource, e.target])).toEqual([
      ['x', '/etc/x'],
      ['y', '/etc/x'],
    ]);
    for (const e of plan.errors) {
      expect(e.message).toContain('/etc/x is managed by more than one resource: x (ds.yaml:3:5) and y (ds.yaml:9:5)');
      expect(e.message).toMatch(/Fix: keep one resource for \/etc\/x/);
    }
    expect(plan.summary.errors).toBe(2);
  });

  it('counts unchanged targets too: a file that matches and an absent for the same path', async () => {
    root = await makeRoot({ 'etc/x': 'hi\n' });
    const plan = await buildPlan(new RootedHost(root.dir), [fileRes('keep', '/etc/x', 'hi\n', 3), absentRes('gone', ['/etc/x'], 8)]);
    expect(plan.changes).toEqual([]);
    expect(plan.unchanged).toEqual([]);
    expect(plan.errors.map((e) => e.resource)).toEqual(['keep', 'gone']);
  });

  it('an absent glob that matches nothing is no target, so two of them do not clash', async () => {
    root = await makeRoot({ 'etc/x': 'hi\n' });
    const plan = await buildPlan(new RootedHost(root.dir), [
      absentRes('a', ['/usr/local/bin/nvidia-*'], 3),
      absentRes('b', ['/usr/local/bin/nvidia-*'], 8),
      fileRes('f', '/etc/x', 'hi\n', 13),
    ]);
    expect(plan.errors).toEqual([]);
  });

  it('two group resources for one group', async () => {
    root = await makeRoot({ 'etc/group': 'root:x:0:\nvideo:x:44:\n' });
    const group = (id: string, members: string[], line: number): Resource => ({
      id,
      kind: 'group',
      group: 'video',
      members,
      include: [],
      exclusive: false,
      source: at(line),
    });
    const plan = await buildPlan(new RootedHost(root.dir), [group('v1', ['root'], 2), group('v2', [], 7)]);
    expect(plan.changes).toEqual([]);
    expect(plan.errors.map((e) => e.resource)).toEqual(['v1', 'v2']);
    expect(plan.errors[0]!.message).toContain('group video is managed by more than one resource: v1 (ds.yaml:2:5) and v2 (ds.yaml:7:5)');
  });

  (devices ? it : it.skip)('overlapping device-mode globs with different modes', async () => {
    root = await makeRoot({
      'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
      'etc/group': 'root:x:0:\n',
      'dev/nvidia0': charDevice(195, 0, { mode: 0o660 }), 'dev/nvidiactl': charDevice(195, 255, { mode: 0o660 }) });
    const dm = (id: string, paths: string[], mode: number, line: number): Resource => ({
      id,
      kind: 'device-mode',
      paths,
      mode,
      owner: 'root',
      group: 'root',
      source: at(line),
    });
    const plan = await buildPlan(new RootedHost(root.dir), [dm('a', ['/dev/nvidia*'], 0o666, 2), dm('b', ['/dev/nvidia0'], 0o600, 9)]);
    expect(plan.changes.map((c) => c.target)).toEqual(['/dev/nvidiactl']);
    expect(plan.errors.map((e) => [e.resource, e.target])).toEqual([
      ['a', '/dev/nvidia0'],
      ['b', '/dev/nvidia0'],
    ]);
  });
});
