// On the live host, group members go back through gpasswd (the NSS-aware
// tool), not by editing files: members a run added are removed with
// gpasswd -d, members it removed are added back with gpasswd -a.

import { applyPlan } from '../../src/apply/apply-plan.js';
import { listRuns } from '../../src/apply/history.js';
import { planRollback } from '../../src/apply/rollback.js';
import { editMemberField } from '../../src/host/group-db.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import type { Change } from '../../src/plan/types.js';
import { liveView, result } from '../helpers/live-view.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';

let root: TempRoot;
beforeEach(async () => {
  root = await makeRoot({ 'etc/group': 'video:x:44:alice,bob\n', 'etc/gshadow': 'video:!::alice,bob\n', 'var/lib': { type: 'dir' } });
});
afterEach(async () => {
  await root.cleanup();
});

function liveHost() {
  const files = new RootedHost(root.dir);
  // getent and gpasswd stand-ins that read and edit the temp root's files.
  return liveView(files, async (command, args) => {
    const text = (await files.readText('/etc/group')) ?? '';
    if (command === 'getent') {
      const line = text.split('\n').find((l) => l.startsWith(`${args[1]}:`));
      return line ? result(0, `${line}\n`) : result(2);
    }
    if (command === 'gpasswd') {
      const [flag, user, group] = args as [string, string, string];
      const edited = editMemberField(text, group, flag === '-a' ? [user] : [], flag === '-d' ? [user] : [], '/etc/group')!;
      await files.writeFileAtomic('/etc/group', edited.text, { mode: 0o644, uid: 0, gid: 0 });
      return result(0);
    }
    return result(127);
  });
}

it('undoes a group change with gpasswd -d for added members and gpasswd -a for removed ones', async () => {
  const host = liveHost();
  const change: Change = {
    resource: 'video',
    kind: 'group',
    target: 'video',
    action: 'update',
    summary: 'group video: add carol; remove bob',
    members: { add: ['carol'], remove: ['bob'] },
    expect: { type: 'group', members: ['alice', 'bob'] },
    op: { type: 'group-members', add: ['carol'], remove: ['bob'] },
  };
  const changes = [change];
  const applied = await applyPlan(host, { changes, unchanged: [], notes: [], errors: [], summary: { create: 0, update: 1, delete: 0, unchanged: 0, errors: 0 } }, {
    stateDir: '/var/lib/reconcile',
    lockTimeoutSeconds: 0,
    desiredFiles: [],
  });
  expect(applied.counts.applied).toBe(1);
  expect(await host.readText('/etc/group')).toBe('video:x:44:alice,carol\n');

  const [run] = await listRuns(host, '/var/lib/reconcile');
  const rollback = await planRollback(host, run!, false);
  expect(rollback.conflicts).toEqual([]);
  expect(rollback.plan.changes).toHaveLength(1);
  // No exact-order rewrite on a live host: that is gpasswd's business.
  expect(rollback.plan.changes[0]!.op).toEqual({ type: 'group-members', add: ['bob'], remove: ['carol'] });
  host.calls.length = 0;
  const undone = await applyPlan(host, rollback.plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 0, desiredFiles: [], operation: 'rollback', rollbackOf: run!.runId });
  expect(undone.counts.applied).toBe(1);
  expect(host.calls.filter((c) => c[0] === 'gpasswd')).toEqual([
    ['gpasswd', '-a', 'bob', 'video'],
    ['gpasswd', '-d', 'carol', 'video'],
  ]);
  expect((await host.readText('/etc/group'))!.split(':')[3]!.trim().split(',').sort()).toEqual(['alice', 'bob']);
});
