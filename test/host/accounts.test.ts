import { afterEach, describe, expect, it } from '@jest/globals';
import {
  groupNameOf,
  lookupGid,
  lookupUid,
  ownerDisplay,
  parseAccountFile,
  parseNumericId,
  userNameOf,
} from '../../src/host/accounts.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { liveView, result } from '../helpers/live-view.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  '# a comment line',
  '+nisuser::::::',
  'datasciencelab:x:1000:1000::/home/datasciencelab:/bin/bash',
  'h.baker@hertie-school.lan:x:1500:1500::/home/h.baker:/bin/bash',
  '',
].join('\n');
// gid 44 is "video" here on purpose, whatever the running machine says.
const GROUP = 'root:x:0:\nvideo:x:4444:\ndocker:x:999:datasciencelab\n';

let root: TempRoot;
afterEach(async () => root?.cleanup());

describe('parsing', () => {
  it('accepts plain decimal ids only', () => {
    expect(parseNumericId('0')).toBe(0);
    expect(parseNumericId('44')).toBe(44);
    expect(parseNumericId('-1')).toBeNull();
    expect(parseNumericId('4e2')).toBeNull();
    expect(parseNumericId('4294967295')).toBeNull();
    expect(parseNumericId('')).toBeNull();
  });

  it('skips comments, NIS lines and malformed lines', () => {
    expect(parseAccountFile(PASSWD + 'broken-line\nbad:x:notanumber:0::/:/bin/sh\n')).toEqual([
      { name: 'root', id: 0 },
      { name: 'datasciencelab', id: 1000 },
      { name: 'h.baker@hertie-school.lan', id: 1500 },
    ]);
  });
});

describe('rooted host: the root\'s files, never the running machine\'s', () => {
  it('resolves names and numbers both ways', async () => {
    root = await makeRoot({ 'etc/passwd': PASSWD, 'etc/group': GROUP });
    const host = new RootedHost(root.dir);
    expect(await lookupUid(host, 'datasciencelab')).toBe(1000);
    expect(await lookupUid(host, 'h.baker@hertie-school.lan')).toBe(1500);
    expect(await lookupGid(host, 'video')).toBe(4444);
    expect(await lookupGid(host, '123')).toBe(123);
    expect(await userNameOf(host, 1500)).toBe('h.baker@hertie-school.lan');
    expect(await groupNameOf(host, 999)).toBe('docker');
    expect(await ownerDisplay(host, 0, 4444)).toEqual({ owner: 'root', group: 'video' });
    expect(await ownerDisplay(host, 4242, 4343)).toEqual({ owner: '4242', group: '4343' });
  });

  it('returns null for unknown names and never asks NSS under --root', async () => {
    root = await makeRoot({ 'etc/passwd': PASSWD, 'etc/group': GROUP });
    const host = new RootedHost(root.dir);
    // "daemon" exists on the running machine; it must not leak in.
    expect(await lookupUid(host, 'daemon')).toBeNull();
    expect(await lookupGid(host, 'nosuchgroup')).toBeNull();
    expect(await userNameOf(host, 1)).toBeNull();
  });

  it('treats a root without etc/passwd as having no users', async () => {
    root = await makeRoot({});
    const host = new RootedHost(root.dir);
    expect(await lookupUid(host, 'root')).toBeNull();
    expect(await lookupUid(host, '0')).toBe(0);
  });
});

describe('live host: NSS for names not in the files', () => {
  it('asks getent for directory users and groups', async () => {
    root = await makeRoot({ 'etc/passwd': PASSWD, 'etc/group': GROUP });
    const host = liveView(new RootedHost(root.dir), (_cmd, args) => {
      if (args[0] === 'passwd' && args[1] === 'j.doe@hertie-school.lan') {
        return result(0, 'j.doe@hertie-school.lan:*:1234567:1234567:J Doe:/home/j.doe:/bin/bash\n');
      }
      if (args[0] === 'group' && args[1] === '7654321') return result(0, 'ds-staff@hertie-school.lan:*:7654321:\n');
      return result(2);
    });
    expect(await lookupUid(host, 'j.doe@hertie-school.lan')).toBe(1234567);
    expect(await groupNameOf(host, 7654321)).toBe('ds-staff@hertie-school.lan');
    expect(await lookupUid(host, 'nobody-here')).toBeNull();
    // Names in the files never need NSS.
    const before = host.calls.length;
    expect(await lookupUid(host, 'datasciencelab')).toBe(1000);
    expect(host.calls.length).toBe(before);
  });
});
