import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { RootedHost } from '../../../src/host/rooted-host.js';
import type { GroupResource } from '../../../src/kinds/group/types.js';
import { groupHandler, type GroupObserved } from '../../../src/kinds/group/group.js';
import { applyOperation } from '../../helpers/apply-op.js';
import { testSource } from '../../helpers/resources.js';
import { makeRoot, type TempRoot, type Tree } from '../../helpers/temp-root.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n';
const GROUP = 'root:x:0:\nvideo:x:44:alice\ndocker:x:999:alice,h.baker@hertie-school.lan,bob\nstaff:x:50:\n';
const GSHADOW = 'root:*::\nvideo:*::alice\ndocker:!::alice,h.baker@hertie-school.lan,bob\nstaff:*::\n';

function videoResource(overrides: Partial<GroupResource> = {}): GroupResource {
  return {
    kind: 'group',
    id: 'video-includes-docker',
    source: testSource,
    group: 'video',
    members: [],
    include: ['docker'],
    exclusive: false,
    ...overrides,
  };
}

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function plan(tree: Tree, resource: GroupResource) {
  root = await makeRoot(tree);
  const host = new RootedHost(root.dir);
  const observed = await groupHandler.probe(host, resource);
  return { host, observed, result: groupHandler.diff(resource, observed) };
}

const baseTree: Tree = { 'etc/passwd': PASSWD, 'etc/group': GROUP, 'etc/gshadow': GSHADOW };

describe('group handler', () => {
  it('plans nothing when the group already has every wanted member', async () => {
    const tree = { ...baseTree, 'etc/group': GROUP.replace('video:x:44:alice', 'video:x:44:bob,alice,h.baker@hertie-school.lan') };
    const { result } = await plan(tree, videoResource());
    expect(result).toEqual({
      changes: [],
      unchanged: [{ resource: 'video-includes-docker', kind: 'group', target: 'video' }],
      notes: [],
      errors: [],
    });
  });

  it('plans the missing members of the included group as one change', async () => {
    const { result } = await plan(baseTree, videoResource({ members: ['carol'] }));
    expect(result.errors).toEqual([]);
    expect(result.changes).toEqual([
      {
        resource: 'video-includes-docker',
        kind: 'group',
        target: 'video',
        action: 'update',
        summary: 'video: add bob, h.baker@hertie-school.lan (member of docker); carol (listed)',
        members: { add: ['bob', 'carol', 'h.baker@hertie-school.lan'], remove: [] },
        expect: { type: 'group', members: ['alice'] },
        op: { type: 'group-members', add: ['bob', 'carol', 'h.baker@hertie-school.lan'], remove: [] },
      },
    ]);
  });

  it('applies, and then plans nothing', async () => {
    const resource = videoResource({ members: ['carol'] });
    const first = await plan(baseTree, resource);
    await applyOperation(first.host, first.result.changes[0]!);
    expect(await fs.readFile(root!.path('/etc/group'), 'utf8')).toBe(
      GROUP.replace('video:x:44:alice', 'video:x:44:alice,bob,carol,h.baker@hertie-school.lan'),
    );
    const again = groupHandler.diff(resource, await groupHandler.probe(first.host, resource));
    expect(again.changes).toEqual([]);
    expect(again.unchanged).toHaveLength(1);
  });

  it('removes nothing unless exclusive', async () => {
    const tree = { ...baseTree, 'etc/group': GROUP.replace('video:x:44:alice', 'video:x:44:alice,zed') };
    const additive = await plan(tree, videoResource({ include: [], members: ['alice'] }));
    expect(additive.result.changes).toEqual([]);
    await root!.cleanup();
    const exclusive = await plan(tree, videoResource({ include: [], members: ['alice'], exclusive: true }));
    expect(exclusive.result.changes[0]).toMatchObject({
      members: { add: [], remove: ['zed'] },
      summary: 'video: remove zed (neither listed nor included; exclusive)',
      op: { type: 'group-members', add: [], remove: ['zed'] },
    });
    await applyOperation(exclusive.host, exclusive.result.changes[0]!);
    expect(await fs.readFile(root!.path('/etc/group'), 'utf8')).toBe(GROUP);
  });

  it('reports a missing group as an error for this resource', async () => {
    const { result } = await plan(baseTree, videoResource({ group: 'gpu' }));
    expect(result.changes).toEqual([]);
    expect(result.errors).toEqual([
      {
        resource: 'video-includes-docker',
        kind: 'group',
        target: 'gpu',
        message: `group gpu does not exist in the root's /etc/group: create it (groupadd gpu) or fix the name`,
      },
    ]);
  });

  it('reports a missing included group as an error', async () => {
    const { result } = await plan(baseTree, videoResource({ include: ['docker', 'dockre'] }));
    expect(result.changes).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toBe(
      `group dockre (included by group video) does not exist in the root's /etc/group: ` +
        'create it (groupadd dockre) or remove it from the include list',
    );
  });

  it('diff is pure: same observation, same answer, input untouched', () => {
    const observed: GroupObserved = {
      source: 'x',
      group: { name: 'video', gid: 44, members: ['b'] },
      included: { docker: { name: 'docker', gid: 999, members: ['c', 'a', 'b'] } },
    };
    const frozen = JSON.stringify(observed);
    const one = groupHandler.diff(videoResource(), observed);
    const two = groupHandler.diff(videoResource(), observed);
    expect(one).toEqual(two);
    expect(JSON.stringify(observed)).toBe(frozen);
    expect(one.changes[0]!.members).toEqual({ add: ['a', 'c'], remove: [] });
  });
});
