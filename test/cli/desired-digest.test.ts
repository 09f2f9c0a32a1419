// --desired-digest: a run only on exactly the reviewed desired state. A
// mismatch, a missing or an untrusted desired state exits 3 and does nothing
// at all (no plan, no lock, no state dir, no report); --validate prints the
// digest to pin.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../safety/snapshot.js';
import { isRoot, makeRoot, type TempRoot } from '../helpers/temp-root.js';

const repo = path.resolve(import.meta.dirname, '../..');

async function run(args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

let root: TempRoot;
let work: string;
let desired: string;
beforeEach(async () => {
  root = await makeRoot({});
  await fs.cp(path.join(repo, 'examples/hosts/incident-2-nvidia-smi-wrapper'), root.dir, { recursive: true, verbatimSymlinks: true });
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-digest-cli-'));
  await fs.chmod(work, 0o755);
  desired = path.join(work, 'desired-state');
  await fs.mkdir(desired, { mode: 0o755 });
  await fs.copyFile(path.join(repo, 'desired-state/ds01.yaml'), path.join(desired, 'ds01.yaml'));
});
afterEach(async () => {
  await root.cleanup();
  await fs.rm(work, { recursive: true, force: true });
});

const digestOf = async (p: string) => (JSON.parse((await run(['--validate', '--desired', p, '--format', 'json'])).stdout) as { digest: string }).digest;

/** Everything under the root and the work dir, by path and content: what a refused run must leave as it was. */
async function snapshot(): Promise<string[]> {
  const out: string[] = [];
  for (const top of [root.dir, work]) {
    for (const e of await fs.readdir(top, { recursive: true, withFileTypes: true })) {
      const p = path.join(e.parentPath, e.name);
      out.push(`${p} ${e.isFile() ? (await fs.readFile(p)).toString('base64') : e.isSymbolicLink() ? await fs.readlink(p) : ''}`);
    }
  }
  return out.sort();
}

describe('--desired-digest', () => {
  it('--validate prints the digest, and a run given it goes ahead as without it', async () => {
    const text = await run(['--validate', '--desired', desired]);
    const digest = await digestOf(desired);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(text.stdout).toContain(`\ndigest: ${digest}\n`);
    const plain = await run(['--plan', '--format', 'json', '--desired', desired, '--root', root.dir]);
    const pinned = await run(['--plan', '--format', 'json', '--desired', desired, '--root', root.dir, '--desired-digest', digest]);
    expect(pinned).toEqual(plain);
    expect(pinned.code).toBe(2);
    // Without the prefix, and in capitals: the same digest.
    const bare = await run(['--plan', '--desired', desired, '--root', root.dir, '--desired-digest', digest.slice('sha256:'.length).toUpperCase()]);
    expect(bare.code).toBe(2);
    const applied = await run(['--apply', '--detailed-exitcode', '--desired', desired, '--root', root.dir, '--desired-digest', digest]);
    expect(applied.code).toBe(2);
  });

  it('exits 3 and does nothing when one byte differs: no apply, no state dir, no report', async () => {
    const digest = await digestOf(desired);
    await fs.appendFile(path.join(desired, 'ds01.yaml'), '# reviewed? no\n');
    const before = await snapshot();
    const report = path.join(work, 'report.json');
    for (const mode of [['--apply', '--report', report], ['--check', '--report', report], ['--plan'], ['--validate']]) {
      const r = await run([...mode, '--desired', desired, '--root', root.dir, '--desired-digest', digest]);
      expect({ mode: mode[0], code: r.code, stdout: r.stdout }).toEqual({ mode: mode[0], code: 3, stdout: '' });
      expect(r.stderr).toMatch(/^reconcile: error: the desired state at .* is not the expected one: its digest is sha256:[0-9a-f]{64}, --desired-digest says sha256:/);
      expect(r.stderr).toContain('Nothing was planned, changed or written');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('exits 3 for a desired state that is missing, or a file added beside it', async () => {
    const digest = await digestOf(desired);
    await fs.writeFile(path.join(desired, 'extra.yaml'), 'version: 1\nresources: []\n');
    expect((await run(['--plan', '--desired', desired, '--root', root.dir, '--desired-digest', digest])).code).toBe(3);
    const missing = await run(['--plan', '--desired', path.join(work, 'none'), '--root', root.dir, '--desired-digest', digest]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('cannot read the desired state at');
  });

  (isRoot ? it : it.skip)('exits 3 for an untrusted desired state with the right digest (as root)', async () => {
    const digest = await digestOf(desired);
    await fs.chmod(path.join(desired, 'ds01.yaml'), 0o666);
    const r = await run(['--plan', '--desired', desired, '--root', root.dir, '--desired-digest', digest]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/world-writable/);
    expect(r.stderr).toContain('Nothing was planned, changed or written');
  });

  it('is a usage error (exit 1) when malformed, with --plan-file, or for a mode without a desired state', async () => {
    expect(await run(['--plan', '--desired', desired, '--desired-digest', 'md5:abc'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--desired-digest takes') });
    const withPlanFile = await run(['--apply', '--plan-file', path.join(work, 'p.json'), '--desired-digest', `sha256:${'0'.repeat(64)}`]);
    expect(withPlanFile).toMatchObject({ code: 1, stderr: expect.stringContaining('--plan-file and --desired-digest cannot be combined') });
    expect((await run(['--history', '--desired-digest', `sha256:${'0'.repeat(64)}`])).code).toBe(1);
  });
});
