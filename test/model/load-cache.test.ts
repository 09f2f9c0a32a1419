// The load cache (src/model/load-cache.ts): a hit only when the code, the
// paths and every byte the load read are the same; anything odd is a miss.
// A hit is shown by planting a marker in the stored entry: only a load that
// used the entry can return it.

import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheDirFor } from '../../src/host/cache-dir.js';
import { findBuildId, isJsonData, loadDesiredCached, openLoadCache, type LoadCache } from '../../src/model/load-cache.js';
import { loadDesiredState } from '../../src/model/load.js';
import type { DesiredState } from '../../src/model/types.js';

const repo = path.resolve(import.meta.dirname, '../..');
const MARKER = 'planted in the cache entry';

let tmp: string;
let cache: LoadCache;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-load-cache-'));
  await fs.chmod(tmp, 0o755);
  cache = { dir: path.join(tmp, 'cache'), buildId: 'a'.repeat(64), version: '0.1.0', uid: process.getuid!() };
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const entries = async (dir = cache.dir) => (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));

/** Rewrites every entry so the first resource's description is MARKER. */
async function plantMarker(): Promise<void> {
  const names = await entries();
  expect(names).toHaveLength(1);
  const file = path.join(cache.dir, names[0]!);
  const entry = JSON.parse(await fs.readFile(file, 'utf8')) as { value: DesiredState };
  entry.value.resources[0]!.description = MARKER;
  await fs.writeFile(file, JSON.stringify(entry));
}

const marked = (d: DesiredState) => d.resources[0]!.description === MARKER;

async function writeDesired(text: string, name = 'state.yaml'): Promise<string> {
  const dir = path.join(tmp, 'desired');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, name), text);
  return path.join(dir, name);
}

const GROUP = 'version: 1\nresources:\n  - {id: video, kind: group, group: video, include: [alice]}\n';
const FROM_SOURCE = 'version: 1\nresources:\n  - {id: motd, kind: file, path: /etc/motd, source: etc/motd, mode: "0644"}\n';

async function writeSource(dir: string, text: string): Promise<string> {
  await fs.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fs.writeFile(path.join(dir, 'etc/motd'), text);
  return dir;
}

describe('load cache', () => {
  it('stores a successful load 0600 in a 0700 directory and answers the next load from it', async () => {
    const desired = await writeDesired(GROUP);
    const cold = await loadDesiredCached(desired, {}, cache);
    expect(cold).toEqual(await loadDesiredState(desired));
    const [name] = await entries();
    expect((await fs.stat(path.join(cache.dir, name!))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(cache.dir)).mode & 0o777).toBe(0o700);
    await plantMarker();
    expect(marked(await loadDesiredCached(desired, {}, cache))).toBe(true);
  });

  it('misses after an edit of a desired-state file', async () => {
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(desired, {}, cache);
    await plantMarker();
    await fs.writeFile(desired, GROUP.replace('[alice]', '[bob]'));
    const again = await loadDesiredCached(desired, {}, cache);
    expect(marked(again)).toBe(false);
    expect(again).toEqual(await loadDesiredState(desired));
  });

  it('misses when a file is added to a desired-state directory', async () => {
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(path.dirname(desired), {}, cache);
    await plantMarker();
    await writeDesired('version: 1\nresources:\n  - {id: docker, kind: group, group: docker, include: [bob]}\n', 'more.yaml');
    const again = await loadDesiredCached(path.dirname(desired), {}, cache);
    expect(marked(again)).toBe(false);
    expect(again.resources.map((r) => r.id)).toEqual(['docker', 'video']);
  });

  it('misses after an edit of a source file, re-read on every hit', async () => {
    const source = await writeSource(path.join(tmp, 'src'), 'welcome\n');
    const desired = await writeDesired(FROM_SOURCE);
    await loadDesiredCached(desired, { sourceRoot: source }, cache);
    await plantMarker();
    expect(marked(await loadDesiredCached(desired, { sourceRoot: source }, cache))).toBe(true);
    await fs.writeFile(path.join(source, 'etc/motd'), 'changed\n');
    const again = await loadDesiredCached(desired, { sourceRoot: source }, cache);
    expect(marked(again)).toBe(false);
    expect((again.resources[0] as { content?: string }).content).toBe('changed\n');
  });

  it('misses when a source file is gone, and the load reports it as without the cache', async () => {
    const source = await writeSource(path.join(tmp, 'src'), 'welcome\n');
    const desired = await writeDesired(FROM_SOURCE);
    await loadDesiredCached(desired, { sourceRoot: source }, cache);
    await fs.rm(path.join(source, 'etc/motd'));
    const plain = await loadDesiredState(desired, { sourceRoot: source }).catch((e: Error) => e.message);
    expect(plain).toMatch(/source etc\/motd does not exist/);
    await expect(loadDesiredCached(desired, { sourceRoot: source }, cache)).rejects.toThrow(plain as string);
  });

  it('misses with another --source, even one with the same files', async () => {
    const a = await writeSource(path.join(tmp, 'a'), 'welcome\n');
    const b = await writeSource(path.join(tmp, 'b'), 'welcome\n');
    const desired = await writeDesired(FROM_SOURCE);
    await loadDesiredCached(desired, { sourceRoot: a }, cache);
    await plantMarker();
    expect(marked(await loadDesiredCached(desired, { sourceRoot: b }, cache))).toBe(false);
    expect(marked(await loadDesiredCached(desired, {}, cache).catch(() => ({ resources: [{}] }) as DesiredState))).toBe(false);
  });

  it('misses with another build id or version of the code', async () => {
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(desired, {}, cache);
    await plantMarker();
    expect(marked(await loadDesiredCached(desired, {}, { ...cache, buildId: 'b'.repeat(64) }))).toBe(false);
    expect(marked(await loadDesiredCached(desired, {}, { ...cache, version: '0.1.1' }))).toBe(false);
    expect(marked(await loadDesiredCached(desired, {}, cache))).toBe(true);
  });

  it('misses when the same file is named by another path (locations name the path given)', async () => {
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(desired, {}, cache);
    await plantMarker();
    const other = path.relative(process.cwd(), desired);
    expect(other).not.toBe(desired);
    const again = await loadDesiredCached(other, {}, cache);
    expect(marked(again)).toBe(false);
    expect(again.resources[0]!.source.file).toBe(other);
  });

  it('ignores a group-writable cache directory: neither read nor written', async () => {
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(desired, {}, cache);
    await plantMarker();
    await fs.chmod(cache.dir, 0o770);
    expect(marked(await loadDesiredCached(desired, {}, cache))).toBe(false);
    await fs.writeFile(desired, GROUP.replace('[alice]', '[carol]'));
    await loadDesiredCached(desired, {}, cache);
    expect(await entries()).toHaveLength(1);
  });

  it('ignores a cache directory under a world-writable, non-sticky parent', async () => {
    const parent = path.join(tmp, 'open');
    await fs.mkdir(parent);
    await fs.chmod(parent, 0o777);
    const c = { ...cache, dir: path.join(parent, 'cache') };
    await fs.mkdir(c.dir, { mode: 0o700 });
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(desired, {}, c);
    expect(await entries(c.dir)).toEqual([]);
  });

  it('ignores an entry that others can write', async () => {
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(desired, {}, cache);
    await plantMarker();
    const [name] = await entries();
    await fs.chmod(path.join(cache.dir, name!), 0o620);
    expect(marked(await loadDesiredCached(desired, {}, cache))).toBe(false);
  });

  it('ignores an entry that is a symlink', async () => {
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(desired, {}, cache);
    await plantMarker();
    const [name] = await entries();
    const file = path.join(cache.dir, name!);
    await fs.rename(file, path.join(tmp, 'elsewhere.json'));
    await fs.symlink(path.join(tmp, 'elsewhere.json'), file);
    expect(marked(await loadDesiredCached(desired, {}, cache))).toBe(false);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, t.length >> 1)],
    ['not JSON', () => '\u0000\u0001garbage'],
    ['another key', (t: string) => t.replace(/"key":"[0-9a-f]+"/, `"key":"${'0'.repeat(64)}"`)],
    ['no value', (t: string) => t.replace(/"value":.*$/, '"value":null}')],
    ['a value without resources', (t: string) => t.replace(/"value":.*$/, '"value":{"files":[],"handlers":[]}}')],
    ['an entry without sources', (t: string) => t.replace(/"sources":\[[^\]]*\],/, '')],
  ])('treats a damaged entry (%s) as a miss and replaces it', async (_what, damage) => {
    const desired = await writeDesired(GROUP);
    const cold = await loadDesiredCached(desired, {}, cache);
    const [name] = await entries();
    const file = path.join(cache.dir, name!);
    const good = await fs.readFile(file, 'utf8');
    expect(damage(good)).not.toBe(good);
    await fs.writeFile(file, damage(good));
    expect(await loadDesiredCached(desired, {}, cache)).toEqual(cold);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual(JSON.parse(good));
  });

  it('never caches an error: the same message every time, and no entry', async () => {
    const desired = await writeDesired('version: 1\nresources:\n  - {id: video, kind: grop, group: video}\n');
    const plain = await loadDesiredState(desired).catch((e: Error) => e.message);
    expect(plain).toMatch(/state\.yaml:3:\d+:/);
    for (let i = 0; i < 2; i++) await expect(loadDesiredCached(desired, {}, cache)).rejects.toThrow(plain as string);
    expect(await entries()).toEqual([]);
  });

  it('keeps no temporary files behind', async () => {
    const desired = await writeDesired(GROUP);
    await loadDesiredCached(desired, {}, cache);
    expect(await fs.readdir(cache.dir)).toEqual(await entries());
  });
});

describe('a cached load is exactly the cold load', () => {
  /** The ds01-infra snapshot when present, else a tree with every `source:` the deploy names. */
  async function deploySource(): Promise<string> {
    const infra = [process.env.RECONCILE_DS01_INFRA, path.resolve(repo, '../shared/ds01-infra'), path.resolve(repo, '../../shared/ds01-infra')].find(
      (p) => p !== undefined && existsSync(p),
    );
    if (infra !== undefined) return infra;
    const dir = path.join(tmp, 'infra');
    const yaml = (await Promise.all((await fs.readdir(path.join(repo, 'desired-state/ds01-deploy'))).map((n) => fs.readFile(path.join(repo, 'desired-state/ds01-deploy', n), 'utf8')))).join('\n');
    for (const [, rel] of yaml.matchAll(/^\s*source: (\S+)$/gm)) {
      await fs.mkdir(path.join(dir, path.dirname(rel!)), { recursive: true });
      await fs.writeFile(path.join(dir, rel!), `# ${rel}\n`);
    }
    return dir;
  }

  it.each([['desired-state/ds01.yaml'], ['desired-state/ds01-deploy']])('%s', async (rel) => {
    const desired = path.join(repo, rel);
    const opts = rel.endsWith('ds01-deploy') ? { sourceRoot: await deploySource() } : {};
    const cold = await loadDesiredState(desired, opts);
    const first = await loadDesiredCached(desired, opts, cache);
    expect(await entries()).toHaveLength(1);
    const cached = await loadDesiredCached(desired, opts, cache);
    expect(JSON.stringify(first)).toBe(JSON.stringify(cold));
    expect(JSON.stringify(cached)).toBe(JSON.stringify(cold));
    expect(cached).toStrictEqual(cold);
  });
});

describe('only JSON data is cached', () => {
  it.each([
    ['undefined property', { a: undefined }],
    ['Buffer', { a: Buffer.from('x') }],
    ['Map', { a: new Map() }],
    ['class instance', { a: new (class Thing {})() }],
    ['NaN', [Number.NaN]],
    ['-0', [-0]],
    ['hole', [1, , 3]],
    ['Date', { a: new Date(0) }],
    ['function', { a: () => 1 }],
  ])('refuses a %s', (_what, v) => expect(isJsonData(v)).toBe(false));

  it('accepts plain data, null-prototype objects included', () => {
    expect(isJsonData({ a: [1, 'x', true, null, { b: 0.5 }], c: Object.assign(Object.create(null), { d: 1 }) })).toBe(true);
  });
});

describe('where the cache lives', () => {
  it('is /var/cache as root, the XDG cache otherwise, RECONCILE_CACHE_DIR when set', () => {
    expect(cacheDirFor({}, 0)).toBe('/var/cache/reconcile/load');
    expect(cacheDirFor({ XDG_CACHE_HOME: '/home/u/.xdg' }, 1000)).toBe('/home/u/.xdg/reconcile/load');
    expect(cacheDirFor({ XDG_CACHE_HOME: 'relative' }, 1000)).toBe(path.join(os.homedir(), '.cache/reconcile/load'));
    expect(cacheDirFor({ RECONCILE_CACHE_DIR: '/x/y' }, 0)).toBe('/x/y');
  });

  it('is off with RECONCILE_NO_CACHE=1, without a build id, and when it would be inside the target root', () => {
    const env = { RECONCILE_CACHE_DIR: cache.dir };
    const id = 'c'.repeat(64);
    expect(openLoadCache('/', env, id)).toMatchObject({ dir: cache.dir, buildId: id, uid: process.getuid!() });
    expect(openLoadCache('/', { ...env, RECONCILE_NO_CACHE: '1' }, id)).toBeNull();
    expect(openLoadCache('/', { ...env, RECONCILE_NO_CACHE: '0' }, id)).not.toBeNull();
    expect(openLoadCache('/', env, null)).toBeNull();
    expect(openLoadCache(tmp, env, id)).toBeNull();
    expect(openLoadCache(path.join(tmp, 'other'), env, id)).not.toBeNull();
  });

  it('finds the build id beside the code or one level up; a tsc build newer than its id has none', async () => {
    const code = path.join(tmp, 'dist/src/model/load-cache.js');
    await fs.mkdir(path.dirname(code), { recursive: true });
    await fs.writeFile(code, '');
    const url = pathToFileURL(code).href;
    expect(findBuildId(url)).toBeNull();
    const idFile = path.join(tmp, 'dist/src/build-id.json');
    await fs.writeFile(idFile, JSON.stringify({ id: 'd'.repeat(64), staleIfOlder: true }));
    const past = new Date(Date.now() - 60_000);
    await fs.utimes(code, past, past);
    expect(findBuildId(url)).toBe('d'.repeat(64));
    // tsc ran again without the build-id step: the code is newer than its id.
    await fs.utimes(idFile, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    expect(findBuildId(url)).toBeNull();
    await fs.writeFile(idFile, JSON.stringify({ id: 'not hex', staleIfOlder: false }));
    expect(findBuildId(url)).toBeNull();
  });

  it('the tsc build finds the build id written beside it', async () => {
    const id = JSON.parse(await fs.readFile(path.join(repo, 'dist/src/build-id.json'), 'utf8')) as { id: string };
    expect(id.id).toMatch(/^[0-9a-f]{64}$/);
    expect(findBuildId(pathToFileURL(path.join(repo, 'dist/src/model/load-cache.js')).href)).toBe(id.id);
  });
});
