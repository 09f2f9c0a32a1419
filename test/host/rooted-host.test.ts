import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RootedHost } from '../../src/host/rooted-host.js';
import { ConfinementError } from '../../src/errors.js';

let root: string;
let outside: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-host-'));
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-outside-'));
  await fs.mkdir(path.join(root, 'etc'), { recursive: true });
  await fs.writeFile(path.join(root, 'etc/group'), 'video:x:44:\n');
  await fs.writeFile(path.join(outside, 'secret'), 'outside\n');
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

describe('RootedHost paths', () => {
  it('reads files as seen inside the root', async () => {
    const host = new RootedHost(root);
    expect(await host.readText('/etc/group')).toBe('video:x:44:\n');
    expect(await host.readText('/etc/missing')).toBeNull();
    expect(host.live).toBe(false);
  });

  it('keeps ".." at the top of the root inside it', async () => {
    const host = new RootedHost(root);
    expect(await host.readText('/../../etc/group')).toBe('video:x:44:\n');
  });

  it('reads an absolute symlink in a parent directory as inside the root', async () => {
    await fs.mkdir(path.join(root, 'usr/lib'), { recursive: true });
    await fs.writeFile(path.join(root, 'usr/lib/x'), 'inside\n');
    await fs.symlink('/usr/lib', path.join(root, 'lib'));
    const host = new RootedHost(root);
    expect(await host.readText('/lib/x')).toBe('inside\n');
  });

  it('refuses a relative symlink in a parent that climbs out of the root', async () => {
    await fs.symlink(path.relative(path.join(root, 'etc'), outside), path.join(root, 'etc/escape'));
    const host = new RootedHost(root);
    await expect(host.readText('/etc/escape/secret')).rejects.toBeInstanceOf(ConfinementError);
    await expect(host.writeFileAtomic('/etc/escape/secret', 'x', { mode: 0o644, uid: 0, gid: 0 })).rejects.toBeInstanceOf(
      ConfinementError,
    );
    expect(await fs.readFile(path.join(outside, 'secret'), 'utf8')).toBe('outside\n');
  });

  it('refuses a final symlink that points outside when following it', async () => {
    await fs.symlink('../../../../../../..' + outside + '/secret', path.join(root, 'etc/link'));
    const host = new RootedHost(root);
    await expect(host.readText('/etc/link')).rejects.toBeInstanceOf(ConfinementError);
    // lstat never follows, so it sees the link itself.
    expect((await host.lstat('/etc/link'))?.type).toBe('symlink');
  });

  it('refuses relative paths', async () => {
    const host = new RootedHost(root);
    await expect(host.lstat('etc/group')).rejects.toBeInstanceOf(ConfinementError);
  });

  it('refuses chmod through a symlink', async () => {
    await fs.symlink('/etc/group', path.join(root, 'etc/glink'));
    const host = new RootedHost(root);
    await expect(host.chmod('/etc/glink', 0o600)).rejects.toBeInstanceOf(ConfinementError);
  });
});

describe('RootedHost glob', () => {
  it('matches per component, never a leading dot, sorted', async () => {
    await fs.mkdir(path.join(root, 'dev'));
    for (const n of ['nvidia0', 'nvidia1', 'nvidiactl', 'nvidia-uvm', '.nvidia9', 'null']) {
      await fs.writeFile(path.join(root, 'dev', n), '');
    }
    const host = new RootedHost(root);
    expect(await host.glob('/dev/nvidia[0-9]*')).toEqual(['/dev/nvidia0', '/dev/nvidia1']);
    expect(await host.glob('/dev/*')).toEqual(['/dev/null', '/dev/nvidia-uvm', '/dev/nvidia0', '/dev/nvidia1', '/dev/nvidiactl']);
    expect(await host.glob('/dev/nvidiactl')).toEqual(['/dev/nvidiactl']);
    expect(await host.glob('/nope/*')).toEqual([]);
    expect(await host.glob('/d?v/null')).toEqual(['/dev/null']);
  });
});

describe('RootedHost writes', () => {
  it('writes atomically with mode and owner, leaving no temp file', async () => {
    const host = new RootedHost(root);
    await host.writeFileAtomic('/etc/new', 'hello\n', { mode: 0o640, uid: 0, gid: 0 });
    const st = await host.lstat('/etc/new');
    expect(st?.mode).toBe(0o640);
    expect(await host.readText('/etc/new')).toBe('hello\n');
    expect((await fs.readdir(path.join(root, 'etc'))).sort()).toEqual(['group', 'new']);
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    await fs.symlink(path.join(outside, 'secret'), path.join(root, 'etc/planted'));
    const host = new RootedHost(root);
    await host.writeFileAtomic('/etc/planted', 'mine\n', { mode: 0o644, uid: 0, gid: 0 });
    expect(await fs.readFile(path.join(outside, 'secret'), 'utf8')).toBe('outside\n');
    expect((await host.lstat('/etc/planted'))?.type).toBe('file');
  });

  it('unlinks a symlink, never its target', async () => {
    await fs.symlink(path.join(outside, 'secret'), path.join(root, 'etc/l'));
    const host = new RootedHost(root);
    await host.unlink('/etc/l');
    expect(await host.lstat('/etc/l')).toBeNull();
    expect(await fs.readFile(path.join(outside, 'secret'), 'utf8')).toBe('outside\n');
  });
});

describe('RootedHost run', () => {
  it('runs a command with an argument array and reports a missing one', async () => {
    const host = new RootedHost('/');
    const ok = await host.run('printf', ['%s|', 'a b', '$HOME']);
    expect(ok.stdout).toBe('a b|$HOME|');
    expect(ok.exitCode).toBe(0);
    const missing = await host.run('definitely-not-a-command-xyz', []);
    expect(missing.notFound).toBe(true);
  });
});

describe('RootedHost getent answers', () => {
  // A real getent behind a wrapper that logs each start: what the host spawns is counted.
  let bin: string;
  let log: string;
  const savedPath = process.env.PATH;
  beforeEach(async () => {
    bin = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-getent-'));
    log = path.join(bin, 'calls');
    await fs.writeFile(path.join(bin, 'getent'), `#!/bin/sh\necho "$*" >>'${log}'\nexec /usr/bin/getent "$@"\n`, { mode: 0o755 });
    process.env.PATH = `${bin}:${savedPath}`;
  });
  afterEach(async () => {
    process.env.PATH = savedPath;
    await fs.rm(bin, { recursive: true, force: true });
  });
  const calls = async () => (await fs.readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

  it('asks getent once for the same lookup, also when asked at the same time', async () => {
    const host = new RootedHost('/');
    const [a, b] = await Promise.all([host.run('getent', ['group', 'root']), host.run('getent', ['group', 'root'])]);
    const c = await host.run('getent', ['group', 'root']);
    expect(a.stdout).toMatch(/^root:x?:0:/);
    expect([b, c]).toEqual([a, a]);
    await host.run('getent', ['passwd', 'root']);
    expect(await calls()).toEqual(['group root', 'passwd root']);
  });

  it('asks again after the host changed: a write, a chmod or another command', async () => {
    const host = new RootedHost('/');
    const file = path.join(outside, 'f');
    await host.run('getent', ['group', 'root']);
    await host.writeFileAtomic(file, 'x\n', { mode: 0o644, uid: 0, gid: 0 });
    await host.run('getent', ['group', 'root']);
    await host.chmod(file, 0o600);
    await host.run('getent', ['group', 'root']);
    await host.run('true', []);
    await host.run('getent', ['group', 'root']);
    await host.run('getent', ['group', 'root']);
    expect(await calls()).toHaveLength(4);
  });

  it('keeps "no such entry" (exit 2) but asks again after a failure', async () => {
    const host = new RootedHost('/');
    const none = await host.run('getent', ['group', 'reconcile-no-such-group']);
    await host.run('getent', ['group', 'reconcile-no-such-group']);
    expect(none.exitCode).toBe(2);
    const bad = await host.run('getent', ['no-such-database', 'x']);
    await host.run('getent', ['no-such-database', 'x']);
    expect(bad.exitCode).toBe(1);
    expect(await calls()).toEqual(['group reconcile-no-such-group', 'no-such-database x', 'no-such-database x']);
  });

  it('does not share answers between hosts', async () => {
    await new RootedHost('/').run('getent', ['group', 'root']);
    await new RootedHost('/').run('getent', ['group', 'root']);
    expect(await calls()).toHaveLength(2);
  });
});
