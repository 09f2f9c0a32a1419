import { RootedHost } from '../../../src/host/rooted-host.js';
import { matchGroupSubset } from '../../../src/rules/matchers/group-subset.js';
import type { GroupSubsetMatch } from '../../../src/rules/types.js';
import { makeRoot, type TempRoot } from '../../helpers/temp-root.js';

const match: GroupSubsetMatch = { type: 'group-subset', group: 'video', containsMembersOf: ['docker'] };

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function hits(group: string) {
  root = await makeRoot({ 'etc/group': group });
  return matchGroupSubset(new RootedHost(root.dir), match);
}

describe('group-subset', () => {
  it('names exactly the missing members, sorted', async () => {
    const [h, ...rest] = await hits('video:x:44:bob\ndocker:x:999:zed,bob,h.baker@hertie-school.lan\n');
    expect(rest).toEqual([]);
    expect(h).toEqual({ target: 'video', message: '2 member(s) of docker missing from video: h.baker@hertie-school.lan, zed.' });
  });

  it('is quiet when video holds every docker member (and more)', async () => {
    expect(await hits('video:x:44:carol,bob,alice\ndocker:x:999:alice,bob\n')).toEqual([]);
  });

  it('is quiet when docker is missing or empty', async () => {
    expect(await hits('video:x:44:\n')).toEqual([]);
    expect(await hits('video:x:44:\ndocker:x:999:\n')).toEqual([]);
  });

  it('says so when video itself is missing', async () => {
    const [h] = await hits('docker:x:999:alice\n');
    expect(h!.message).toBe('group video does not exist, so these member(s) of docker are not in it: alice.');
  });
});
