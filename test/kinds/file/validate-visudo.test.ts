// file `validate:` with the real tools of a Debian root (the full profile
// has sudo): visudo -cf on the staged file decides whether a sudoers
// fragment is installed. A rejected file leaves the host as it was, its
// error quotes visudo, and the other resources still apply.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main.js';
import { DebianRoot } from '../../integration/debian/debian-root.js';
import { captureOutput, snapshot } from '../../safety/snapshot.js';

const FULL = process.env.RECONCILE_DEBIAN_FULL_ROOT_TARBALL || '/var/cache/reconcile-test/debian-bookworm-amd64-full-v3.tar.gz';
const skip =
  process.getuid?.() !== 0
    ? 'needs root (chroot)'
    : !existsSync(FULL)
      ? `no full Debian test root at ${FULL}; build it with \`bash scripts/debian-test-root.sh full\``
      : null;
if (skip !== null && process.env.CI === 'true') throw new Error(`validate-visudo: cannot run under CI: ${skip}`);
if (skip !== null) console.warn(`skipping the real visudo tests: ${skip}`);

const GOOD = 'alice ALL=(root) NOPASSWD: /usr/bin/systemctl status ds01-exporter\n';
const BAD = 'alice ALL=(root) NOPASSWD /usr/bin/true ((\n';

const resources = (bad: string) => `version: 1
resources:
  - id: sudoers-good
    kind: file
    path: /etc/sudoers.d/ds01-good
    content: ${JSON.stringify(GOOD)}
    mode: "0440"
    validate: [visudo, -cf, "{}"]
  - id: sudoers-bad
    kind: file
    path: /etc/sudoers.d/ds01-bad
    content: ${JSON.stringify(bad)}
    mode: "0440"
    validate: [visudo, -cf, "{}"]
  - id: profile-script
    kind: file
    path: /etc/profile.d/ds01-hello.sh
    content: "echo hello\\n"
    validate: [sh, -n, "{}"]
`;

(skip === null ? describe : describe.skip)('file validate: real visudo in a Debian root', () => {
  let root: DebianRoot;
  let cfg: string;
  const cli = async (args: string[]) => {
    const io = captureOutput();
    const code = await main(args, io);
    return { code, out: io.stdout + io.stderr };
  };
  const write = (text: string) => fs.writeFile(path.join(cfg, 'desired.yaml'), text, { mode: 0o644 });
  const apply = () => cli(['--apply', '--desired', path.join(cfg, 'desired.yaml'), '--root', root.dir]);
  const sudoersD = async () => (await fs.readdir(root.path('/etc/sudoers.d'))).sort();

  beforeAll(async () => {
    root = await DebianRoot.extract(FULL);
    cfg = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-cfg-'));
  });
  afterAll(async () => {
    await root?.cleanup();
    if (cfg) await fs.rm(cfg, { recursive: true, force: true });
  });

  it('installs what visudo accepts; refuses the rest, quoting visudo; other resources still apply; nothing staged is left', async () => {
    await write(resources(BAD));
    const before = await sudoersD();
    const r = await apply();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\/etc\/sudoers\.d\/ds01-bad not installed: the validator failed \(visudo exited 1\): ".*syntax error/);
    expect(await fs.readFile(root.path('/etc/sudoers.d/ds01-good'), 'utf8')).toBe(GOOD);
    expect((await fs.stat(root.path('/etc/sudoers.d/ds01-good'))).mode & 0o7777).toBe(0o440);
    expect(await fs.readFile(root.path('/etc/profile.d/ds01-hello.sh'), 'utf8')).toBe('echo hello\n');
    expect(await sudoersD()).toEqual([...before, 'ds01-good'].sort());
    // The installed tree passes sudo's own whole-configuration check.
    expect((await root.chroot(['visudo', '-c'])).code).toBe(0);
  });

  it('a rejected update keeps the old file byte for byte', async () => {
    await write(resources(GOOD.replace('status', 'restart')));
    expect((await apply()).code).toBe(0);
    const installed = await fs.readFile(root.path('/etc/sudoers.d/ds01-bad'));
    await write(resources(BAD));
    expect((await apply()).code).toBe(1);
    expect(await fs.readFile(root.path('/etc/sudoers.d/ds01-bad'))).toEqual(installed);
    expect((await root.chroot(['visudo', '-c'])).code).toBe(0);
  });

  it('converged: a second apply runs no validator and writes nothing', async () => {
    await write(resources(GOOD.replace('status', 'restart')));
    expect((await apply()).code).toBe(0);
    // Everything an apply could write (the state dir included); not the package payload under /usr.
    const SKIP = ['/proc', '/sys', '/dev', '/usr', '/var/cache', '/var/lib/apt', '/var/lib/dpkg'];
    const before = await snapshot(root.dir, SKIP);
    const r = await apply();
    expect(r.code).toBe(0);
    expect(await snapshot(root.dir, SKIP)).toEqual(before);
  });
});
