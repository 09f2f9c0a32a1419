// Issue 9, section 4: nothing is lost, including what reconcile did not
// write. A rewrite, a backup and a restore keep POSIX ACLs and user.*
// attributes (checked with the real getfacl/getfattr), never widen access
// through the ACL mask, refuse to move file capabilities to new bytes, and a
// line appended after the backup is never lost under the new content.

import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { applyChange } from '../../src/apply/operations.js';
import { rollbackRun } from '../../src/apply/rollback.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import { summarise } from '../../src/plan/build-plan.js';
import type { Change, Plan } from '../../src/plan/types.js';
import { fingerprintOf } from '../../src/kinds/shared/fingerprint.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';

let root: TempRoot;
afterEach(async () => {
  await root?.cleanup();
});

const getfacl = (p: string) => execFileSync('getfacl', ['--absolute-names', '--omit-header', '--numeric', p], { encoding: 'utf8' });
const getfattr = (p: string) => execFileSync('getfattr', ['--absolute-names', '--dump', '--match=^user\\.', p], { encoding: 'utf8' }).replace(/^# file: .*\n/m, '');

/** /etc/app.conf 0640 root:users with u:1001:rw (so the mode reads 0660) and a user.note. */
async function fileWithAcl(): Promise<string> {
  root = await makeRoot({ 'etc/app.conf': 'old\n' });
  const p = root.path('/etc/app.conf');
  await fs.chmod(p, 0o640);
  execFileSync('setfacl', ['-m', 'u:1001:rw', p]);
  execFileSync('setfattr', ['-n', 'user.note', '-v', 'keep me', p]);
  return p;
}

async function rewrite(host: RootedHost, target: string, content: string): Promise<Change> {
  const st = (await host.lstat(target))!;
  return {
    resource: 'app',
    kind: 'file',
    target,
    action: 'update',
    summary: `write ${target}`,
    expect: fingerprintOf(st),
    op: { type: 'write-file', contentBase64: Buffer.from(content).toString('base64'), mode: st.mode, uid: st.uid, gid: st.gid },
  };
}

const planOf = (changes: Change[]): Plan => {
  const partial = { changes, unchanged: [], notes: [], errors: [] };
  return { ...partial, summary: summarise(partial) };
};

describe('extended attributes across a rewrite', () => {
  it('a rewrite keeps the ACL and user.* attributes and never turns the mask into group write', async () => {
    const p = await fileWithAcl();
    const acl = getfacl(p);
    const attrs = getfattr(p);
    expect(acl).toMatch(/group::r--/);
    const host = new RootedHost(root.dir);
    const outcome = await applyChange(host, await rewrite(host, '/etc/app.conf', 'new\n'), '/var/lib/reconcile/backups/t');
    expect(outcome.status).toBe('applied');
    expect(await fs.readFile(p, 'utf8')).toBe('new\n');
    expect(getfacl(p)).toBe(acl);
    expect(getfacl(p)).toMatch(/group::r--/);
    expect(getfattr(p)).toBe(attrs);
  });

  it('refuses to move file capabilities to new content, saying so, and leaves the file alone', async () => {
    root = await makeRoot({ 'usr/local/bin/tool': '#!/bin/sh\n' });
    const p = root.path('/usr/local/bin/tool');
    await fs.chmod(p, 0o755);
    execFileSync('setcap', ['cap_net_raw+ep', p]);
    const host = new RootedHost(root.dir);
    const outcome = await applyChange(host, await rewrite(host, '/usr/local/bin/tool', '#!/bin/sh\necho new\n'), '/var/lib/reconcile/backups/t');
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/file capabilities/);
    expect(await fs.readFile(p, 'utf8')).toBe('#!/bin/sh\n');
    expect(execFileSync('getcap', [p], { encoding: 'utf8' })).toMatch(/cap_net_raw/);
  });

  it('a backup records them and a rollback of a removal puts the file back with its ACL, user.* and capabilities', async () => {
    const p = await fileWithAcl();
    const acl = getfacl(p);
    const attrs = getfattr(p);
    execFileSync('setcap', ['cap_net_raw+ep', p]);
    const caps = execFileSync('getcap', [p], { encoding: 'utf8' });
    const host = new RootedHost(root.dir);
    const st = (await host.lstat('/etc/app.conf'))!;
    const removal: Change = {
      resource: 'app',
      kind: 'absent',
      target: '/etc/app.conf',
      action: 'delete',
      summary: 'remove /etc/app.conf',
      expect: fingerprintOf(st),
      op: { type: 'remove', recursive: false },
    };
    const opts = { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 5, desiredFiles: [] };
    const run = await applyPlan(host, planOf([removal]), opts);
    expect(run.counts.applied).toBe(1);
    await expect(fs.lstat(p)).rejects.toThrow();
    const back = await rollbackRun(host, { stateDir: '/var/lib/reconcile', force: false, lockTimeoutSeconds: 5 });
    expect(back.result?.counts.applied).toBe(1);
    expect(await fs.readFile(p, 'utf8')).toBe('old\n');
    expect(getfacl(p)).toBe(acl);
    expect(getfattr(p)).toBe(attrs);
    expect(execFileSync('getcap', [p], { encoding: 'utf8' })).toBe(caps);
  });
});

describe('a change made after the backup', () => {
  it('a line appended between the backup and the rename is not lost: the write is refused', async () => {
    root = await makeRoot({ 'etc/app.conf': 'one\n' });
    const host = new RootedHost(root.dir);
    const outcome = await applyChange(host, await rewrite(host, '/etc/app.conf', 'mine\n'), '/var/lib/reconcile/backups/t', {
      beforeAct: async () => {
        await fs.appendFile(root.path('/etc/app.conf'), 'two\n');
      },
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/changed while reconcile was writing it/);
    expect(await fs.readFile(root.path('/etc/app.conf'), 'utf8')).toBe('one\ntwo\n');
    // No temp file is left beside it.
    expect(await fs.readdir(root.path('/etc'))).toEqual(['app.conf']);
  });

  it('a file created where none was planned is not replaced', async () => {
    root = await makeRoot({ 'etc/.keep': '' });
    const host = new RootedHost(root.dir);
    const change: Change = { ...(await rewrite(host, '/etc/.keep', 'x')), target: '/etc/new.conf', action: 'create', expect: { type: 'absent' } };
    const outcome = await applyChange(host, change, '/var/lib/reconcile/backups/t', {
      beforeAct: async () => {
        await fs.writeFile(root.path('/etc/new.conf'), 'someone else\n');
      },
    });
    expect(outcome.status).toBe('failed');
    expect(await fs.readFile(root.path('/etc/new.conf'), 'utf8')).toBe('someone else\n');
  });
});
