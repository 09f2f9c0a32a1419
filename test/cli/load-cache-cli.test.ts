// The load cache seen from the built command: output is the same with and
// without it, cold and warm; bad input gives the same error every time and is
// never cached; RECONCILE_NO_CACHE=1 and a cache dir inside --root write nothing.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, repo, runCli } from '../safety/built-cli.js';

const DESIRED = path.join(repo, 'desired-state/ds01.yaml');
const HOST = path.join(repo, 'examples/hosts/incident-2-nvidia-smi-wrapper');

let tmp: string;
let cacheDir: string;
const cached = () => ({ RECONCILE_CACHE_DIR: cacheDir, RECONCILE_NO_CACHE: '' });
const uncached = () => ({ RECONCILE_CACHE_DIR: cacheDir, RECONCILE_NO_CACHE: '1' });
const entries = async (dir = cacheDir) => (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));

beforeAll(ensureBuilt);
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-load-cache-cli-'));
  await fs.chmod(tmp, 0o755);
  cacheDir = path.join(tmp, 'cache');
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('the load cache in the built command', () => {
  it.each([
    ['--validate', ['--validate', '--desired', DESIRED]],
    ['--validate --format json', ['--validate', '--format', 'json', '--desired', DESIRED]],
    ['--plan', ['--plan', '--desired', DESIRED, '--root', HOST]],
    ['--plan --format json', ['--plan', '--format', 'json', '--desired', DESIRED, '--root', HOST]],
  ])('%s: the same output without the cache, cold and warm', async (_name, args) => {
    const off = await runCli(args, uncached());
    expect(await entries()).toEqual([]);
    const cold = await runCli(args, cached());
    expect(await entries()).toHaveLength(1);
    const warm = await runCli(args, cached());
    expect(off.stdout.length).toBeGreaterThan(0);
    expect(cold).toEqual(off);
    expect(warm).toEqual(off);
  });

  it('bad input: the same located error every time, exit 1, nothing cached', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    await fs.writeFile(bad, 'version: 1\nresources:\n  - {id: a, kind: file, path: /etc/x, content: "x\\n", mod: "0644"}\n');
    const off = await runCli(['--validate', '--desired', bad], uncached());
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/bad\.yaml:3:\d+:/);
    for (let i = 0; i < 2; i++) expect(await runCli(['--validate', '--desired', bad], cached())).toEqual(off);
    expect(await entries()).toEqual([]);
  });

  it('an edit after a cached run is seen by the next run', async () => {
    const desired = path.join(tmp, 'state.yaml');
    await fs.writeFile(desired, 'version: 1\nresources:\n  - {id: a, kind: file, path: /etc/x, content: "one\\n"}\n');
    const root = path.join(tmp, 'root');
    await fs.mkdir(path.join(root, 'etc'), { recursive: true });
    const plan = () => runCli(['--plan', '--format', 'json', '--desired', desired, '--root', root], cached());
    expect((await plan()).stdout).toContain('one\\n');
    await fs.writeFile(desired, 'version: 1\nresources:\n  - {id: b, kind: file, path: /etc/x, content: "two\\n"}\n');
    const r = await plan();
    expect(r.stdout).toContain('two\\n');
    expect(r.stdout).not.toContain('one\\n');
    expect(await entries()).toHaveLength(2);
  });

  it('writes no cache inside the target root', async () => {
    const root = path.join(tmp, 'root');
    await fs.cp(HOST, root, { recursive: true });
    const inside = path.join(root, 'var/cache/reconcile');
    const r = await runCli(['--plan', '--desired', DESIRED, '--root', root], { RECONCILE_CACHE_DIR: inside, RECONCILE_NO_CACHE: '' });
    expect(r.code).toBe(2);
    expect(await fs.stat(inside).catch(() => null)).toBeNull();
  });
});
