// As root, a desired-state (or rules) file or directory that someone else
// can write is refused, naming it and the fix; --insecure-config accepts it
// with a warning. Hostile input (alias bombs, huge files, deep nesting) is
// rejected with a message, fast.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from '../../src/cli/args.js';
import { checkConfigTrust } from '../../src/cli/config-trust.js';
import { trustRules } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { loadDesiredState } from '../../src/model/load.js';
import { isRoot } from '../helpers/temp-root.js';
import { ensureBuilt, runCli } from './built-cli.js';
import { captureOutput } from './snapshot.js';

const VALID = 'version: 1\nresources:\n  - id: f\n    kind: file\n    path: /etc/x\n    content: "x\\n"\n';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-trust-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write(name: string, text = VALID, mode = 0o644) {
  const p = path.join(dir, name);
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, text);
  await fs.chmod(p, mode);
  return p;
}

async function validate(target: string, ...extra: string[]) {
  const io = captureOutput();
  const code = await main(['--validate', '--desired', target, ...extra], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const asRoot = isRoot ? describe : describe.skip;

asRoot('config you can trust (running as root)', () => {
  it('accepts a root-owned 0644 file in a root-owned 0700 directory', async () => {
    const f = await write('ds.yaml');
    expect((await validate(f)).code).toBe(0);
  });

  it.each([
    ['group-writable', 0o664, 'group-writable (mode 0664)'],
    ['world-writable', 0o646, 'world-writable (mode 0646)'],
  ])('refuses a %s file, naming it and the fix', async (_what, mode, says) => {
    const f = await write('ds.yaml', VALID, mode);
    const r = await validate(f);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f} is ${says}`);
    expect(r.stderr).toContain(`chown root ${f} && chmod go-w ${f}`);
    expect(r.stderr).toContain('--insecure-config');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('refuses a file not owned by root', async () => {
    const f = await write('ds.yaml');
    await fs.chown(f, 1001, 1001);
    const r = await validate(f);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f} is owned by uid 1001, not root`);
  });

  it('refuses a file whose directory others can write (they could replace it)', async () => {
    const f = await write('conf/ds.yaml');
    await fs.chmod(path.dirname(f), 0o775);
    const r = await validate(f);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.dirname(f)} is group-writable (mode 0775)`);
  });

  it('refuses a file when any directory above it (not just its own) is writable by others', async () => {
    const f = await write('top/sub/deeper/ds.yaml');
    const top = path.join(dir, 'top');
    await fs.chmod(top, 0o777);
    const r = await validate(f);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${top} is world-writable and group-writable (mode 0777)`);
    // A grandparent owned by someone else is as bad: they can rename the subtree away.
    await fs.chmod(top, 0o755);
    await fs.chown(top, 1001, 1001);
    const owned = await validate(f);
    expect(owned.code).toBe(1);
    expect(owned.stderr).toContain(`${top} is owned by uid 1001, not root`);
    await fs.chown(top, 0, 0);
    expect((await validate(f)).code).toBe(0);
  });

  it('checks the directories above a symlinked file\'s real target as well', async () => {
    const real = await write('open/inner/ds.yaml');
    await fs.chmod(path.join(dir, 'open'), 0o777);
    const linkPath = path.join(dir, 'ds.yaml');
    await fs.symlink(real, linkPath);
    const r = await validate(linkPath);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, 'open')} is world-writable`);
  });

  it('accepts a sticky world-writable parent such as /tmp (others cannot replace a root-owned entry there)', async () => {
    const f = await write('sticky/ds.yaml');
    await fs.chmod(path.dirname(f), 0o1777);
    expect((await validate(f)).code).toBe(0);
  });

  it('refuses a directory of desired state that others can write, and a file in it that others can', async () => {
    await write('d/a.yaml');
    const bad = await write('d/b.yaml', VALID.replace('id: f', 'id: g').replace('/etc/x', '/etc/y'), 0o666);
    await fs.chmod(path.join(dir, 'd'), 0o777);
    const r = await validate(path.join(dir, 'd'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, 'd')} is world-writable and group-writable (mode 0777)`);
    expect(r.stderr).toContain(`${bad} is world-writable and group-writable (mode 0666)`);
  });

  it('follows a symlinked desired file to the real file and checks that directory too', async () => {
    const real = await write('elsewhere/ds.yaml');
    await fs.chmod(path.dirname(real), 0o777);
    const linkPath = path.join(dir, 'ds.yaml');
    await fs.symlink(real, linkPath);
    const r = await validate(linkPath);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.dirname(real)} is world-writable`);
  });

  it('--insecure-config accepts it with a warning naming the file', async () => {
    const f = await write('ds.yaml', VALID, 0o666);
    const warnings: string[] = [];
    await checkConfigTrust([f], 'a desired state', { insecure: true, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`reconcile: warning: --insecure-config: using a desired state that others can change`);
    expect(warnings[0]).toContain(f);
  });

  it('--insecure-config through the command: runs, and warns on stderr', async () => {
    await ensureBuilt();
    const f = await write('ds.yaml', VALID, 0o666);
    const refused = await runCli(['--validate', '--desired', f]);
    expect(refused.code).toBe(1);
    const r = await runCli(['--validate', '--desired', f, '--insecure-config']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('reconcile: warning: --insecure-config');
    expect(r.stderr).toContain(f);
  });

  it('applies to --rules directories too', async () => {
    const rule = await write('rules/extra.yaml', 'id: x\n', 0o644);
    const args = parseArgs(['--check', '--rules', path.dirname(rule)]);
    const ignore = () => undefined;
    await expect(trustRules(args, ignore)).resolves.toBeUndefined();
    await fs.chmod(rule, 0o664);
    await expect(trustRules(args, ignore)).rejects.toThrow(`refusing to use a rules directory that others can change: ${rule} is group-writable (mode 0664)`);
    const warnings: string[] = [];
    await trustRules(parseArgs(['--check', '--rules', path.dirname(rule), '--insecure-config']), (m) => warnings.push(m));
    expect(warnings[0]).toContain(rule);
  });

  it('checks nothing when not running as root', async () => {
    const f = await write('ds.yaml', VALID, 0o666);
    await expect(checkConfigTrust([f], 'a desired state', { insecure: false, warn: () => undefined, asRoot: false })).resolves.toBeUndefined();
    await expect(checkConfigTrust([f], 'a desired state', { insecure: false, warn: () => undefined, asRoot: true })).rejects.toThrow(/refusing/);
  });
});

// How long each takes is a figure for bench/hostile-input.ts, not a verdict here.
describe('hostile input is rejected with a message', () => {
  async function rejectsFast(text: string | Buffer, pattern: RegExp) {
    const f = path.join(dir, 'ds.yaml');
    await fs.writeFile(f, text);
    const err = await loadDesiredState(f).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('UserError');
    expect(err?.message).toMatch(pattern);
    expect(err?.message).toContain(f);
  }

  it('an alias bomb (billion laughs)', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    await rejectsFast(`version: 1\n${levels.join('\n')}\nresources: []\n`, /alias/);
  });

  it('a file over the size limit', async () => {
    await rejectsFast(`version: 1\nresources: []\n# ${'x'.repeat(2 * 1024 * 1024)}\n`, /limit/);
  });

  it('deep nesting, in block and in flow style', async () => {
    await rejectsFast(`version: 1\nresources: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, /nesting/);
    let block = 'version: 1\nresources:\n';
    for (let i = 0; i < 100; i++) block += `${'  '.repeat(i + 1)}k${i}:\n`;
    await rejectsFast(block, /nesting/);
  });

  it('a megabyte of unclosed brackets', async () => {
    await rejectsFast(`version: 1\nresources: ${'['.repeat(1000 * 1000)}`, /nesting|limit/);
  });
});
