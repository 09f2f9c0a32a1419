// The shipped command is the bundle (dist/bundle/reconcile.cjs, package.json
// "bin", which runs reconcile-code.cjs with V8's code cache), not the tsc
// build the other tests run. It must work from its own files alone, behave
// like the tsc build, run only the code a mode needs, keep and trust code
// caches only as src/cli/code-cache.ts says, and not carry the crash tests'
// fault hook; `npm pack` must ship it with packaging/ and LICENSE, and leave
// out dist/src (where the hook is) and dist/bench.

import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';

const repo = path.resolve(import.meta.dirname, '../..');
const bundleDir = path.join(repo, 'dist/bundle');
const tscBin = path.join(repo, 'dist/src/cli/bin.js');
const desired = path.join(repo, 'desired-state/ds01.yaml');
const incidentHost = path.join(repo, 'examples/hosts/incident-2-nvidia-smi-wrapper');

const built = existsSync(path.join(bundleDir, 'reconcile.cjs')) && existsSync(tscBin);
if (!built && process.env.CI === 'true') throw new Error('dist/bundle/reconcile.cjs is missing: `npm run build` must build it');
if (!built) console.warn('skipping the bundle tests: run `npm run build` first');
const describeBuilt = built ? describe : describe.skip;
/** Jest's limit for tests that start several processes: a stuck one still fails, a busy machine does not. */
const SLOW = 300_000;

async function run(file: string, args: string[], env: Record<string, string> = {}, cwd = repo) {
  const r = await execa(process.execPath, [file, ...args], { reject: false, cwd, stdin: 'ignore', env });
  return { code: r.exitCode, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

describeBuilt('the shipped bundle', () => {
  let standalone: string;

  beforeAll(async () => {
    // As installed: the bundle, its data and a package.json, with no
    // node_modules anywhere above it (a temp dir, not under the checkout).
    standalone = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bundle-'));
    for (const entry of ['schema', 'rules', 'desired-state']) await fs.cp(path.join(repo, entry), path.join(standalone, entry), { recursive: true });
    await fs.cp(bundleDir, path.join(standalone, 'bundle'), { recursive: true });
    await fs.copyFile(path.join(repo, 'package.json'), path.join(standalone, 'package.json'));
  });

  afterAll(async () => {
    await fs.rm(standalone, { recursive: true, force: true });
  });

  const bundle = () => path.join(standalone, 'bundle/reconcile.cjs');

  it('plans, validates and prints its version from its own files, exactly as the tsc build does', async () => {
    for (const args of [
      ['--plan', '--desired', desired, '--root', incidentHost],
      ['--plan', '--format', 'json', '--desired', desired, '--root', incidentHost],
      ['--plan', '--format', 'markdown', '--desired', desired, '--root', incidentHost],
      ['--validate', '--desired', desired],
      ['--version'],
    ]) {
      const [shipped, tsc] = await Promise.all([run(bundle(), args, {}, os.tmpdir()), run(tscBin, args)]);
      expect({ args, ...shipped }).toEqual({ args, ...tsc });
    }
    expect((await run(bundle(), ['--plan', '--desired', desired, '--root', incidentHost])).code).toBe(2);
  }, SLOW);

  it('reports bad input as one paragraph, as the tsc build does', async () => {
    const bad = path.join(standalone, 'bad.yaml');
    await fs.writeFile(bad, 'version: 1\nresources:\n  - id: x\n    kind: file\n    path: /etc/x\n    content: ""\n    mode: 0644\n');
    const r = await run(bundle(), ['--validate', '--desired', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:7:\d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, SLOW);

  it('reads an edited built-in rule as edited, and refuses a broken one with file:line:column (the prebuilt rules are only for the shipped text)', async () => {
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bundle-rules-'));
    try {
      await fs.cp(standalone, copy, { recursive: true });
      const ruleFile = path.join(copy, 'rules/nvidia-smi-wrapper.yaml');
      const shipped = await fs.readFile(ruleFile, 'utf8');
      const args = ['--plan', '--format', 'json', '--desired', desired, '--root', incidentHost];
      const severities = async () => {
        const r = await run(path.join(copy, 'bundle/reconcile.cjs'), args, {}, os.tmpdir());
        const findings = (JSON.parse(r.stdout) as { findings: { rule: string; severity: string }[] }).findings;
        return [...new Set(findings.filter((f) => f.rule === 'nvidia-smi-wrapper').map((f) => f.severity))];
      };
      expect(await severities()).toEqual(['critical']);
      await fs.writeFile(ruleFile, shipped.replace('severity: critical', 'severity: info'));
      expect(await severities()).toEqual(['info']);
      await fs.writeFile(ruleFile, shipped.replace('severity: critical', 'severity: [critical'));
      const broken = await run(path.join(copy, 'bundle/reconcile.cjs'), args, {}, os.tmpdir());
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/rules\/nvidia-smi-wrapper\.yaml:\d+:\d+: /);
      expect(broken.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
    }
  }, SLOW);

  it('plans and validates without running what those modes do not use: execa, yaml and ajv (from a warm load cache), the validators, the saved-plan writer, apply, history, rollback', async () => {
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bundle-lazy-'));
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bundle-lazy-cache-'));
    try {
      await fs.cp(standalone, copy, { recursive: true });
      // Each of these modules' initialiser now throws: a run that reaches one fails.
      const body = path.join(copy, 'bundle/reconcile-code.cjs');
      let code = await fs.readFile(body, 'utf8');
      const lazy = ['node_modules/execa/index.js', 'node_modules/yaml/dist/index.js', 'node_modules/ajv/dist/ajv.js', 'dist/validators/desired-state.cjs', 'dist/validators/rule.cjs', 'dist/validators/plan.cjs', 'dist/validators/journal.cjs', 'src/cli/save-plan.ts', 'src/cli/apply-command.ts', 'src/cli/history-command.ts', 'src/cli/rollback-command.ts'];
      for (const name of lazy) {
        const init = new RegExp(`("${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"\\([^)]*\\)\\{)`);
        expect({ name, found: init.test(code) }).toEqual({ name, found: true });
        code = code.replace(init, `$1throw new Error("lazy module ran: ${name}");`);
      }
      await fs.writeFile(body, code);
      const env = { RECONCILE_CACHE_DIR: cacheDir };
      for (const args of [
        ['--plan', '--desired', desired, '--root', incidentHost],
        ['--validate', '--desired', desired],
      ]) {
        // The full bundle fills the load cache; the lean copy (same build id) then plans from it.
        const full = await run(bundle(), args, env, os.tmpdir());
        const lean = await run(path.join(copy, 'bundle/reconcile.cjs'), args, env, os.tmpdir());
        expect({ args, ...lean }).toEqual({ args, ...full });
      }
      // And the check is real: a mode that needs one of them fails in the copy.
      const cold = await run(path.join(copy, 'bundle/reconcile.cjs'), ['--validate', '--desired', desired], { RECONCILE_NO_CACHE: '1' }, os.tmpdir());
      expect(cold.code).toBe(1);
      expect(cold.stderr).toMatch(/lazy module ran: /);
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  }, SLOW);

  it('has no crash-test fault hook: RECONCILE_FAULT_AFTER does not stop an apply', async () => {
    const shipped = await filesUnder(bundleDir);
    for (const f of shipped.filter((f) => f.endsWith('.cjs'))) {
      expect({ f, hook: (await fs.readFile(f, 'utf8')).includes('RECONCILE_FAULT_AFTER') }).toEqual({ f, hook: false });
    }
    let root: TempRoot | undefined;
    try {
      root = await makeRoot({ 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n', 'etc/group': 'root:x:0:\n' });
      const state = path.join(standalone, 'one-file.yaml');
      await fs.writeFile(state, 'version: 1\nresources:\n  - {id: motd, kind: file, path: /etc/motd, content: "hello\\n"}\n');
      const args = ['--apply', '--desired', state, '--root', root.dir, '--insecure-config'];
      const r = await run(bundle(), args, { RECONCILE_FAULT_AFTER: '1' });
      expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: undefined, stderr: expect.any(String) });
      expect(await fs.readFile(root.path('/etc/motd'), 'utf8')).toBe('hello\n');
      // The test build still has the hook (the crash tests rely on it).
      await fs.rm(root.path('/etc/motd'));
      const killed = await run(tscBin, args, { RECONCILE_FAULT_AFTER: '1' });
      expect(killed.signal).toBe('SIGKILL');
    } finally {
      await root?.cleanup();
    }
  }, SLOW);

  describe("V8's code cache", () => {
    let copy: string;
    let cacheDir: string;
    const plan = ['--plan', '--desired', desired, '--root', incidentHost];
    const codeCaches = async () => (await fs.readdir(cacheDir)).filter((f) => /^code-.*\.cache$/.test(f));
    const runCopy = (env: Record<string, string> = {}) => run(path.join(copy, 'bundle/reconcile.cjs'), plan, { RECONCILE_CACHE_DIR: cacheDir, ...env }, os.tmpdir());
    let expected: Awaited<ReturnType<typeof run>>;

    beforeAll(async () => {
      expected = await run(tscBin, plan);
    }, SLOW);

    beforeEach(async () => {
      copy = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bundle-code-'));
      cacheDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bundle-code-cache-')), 'load');
      await fs.cp(standalone, copy, { recursive: true });
    });

    afterEach(async () => {
      await fs.rm(copy, { recursive: true, force: true });
      await fs.rm(path.dirname(cacheDir), { recursive: true, force: true });
    });

    it('ships one made by the node that built it, and a run with that node keeps none of its own', async () => {
      const stamp = JSON.parse(await fs.readFile(path.join(bundleDir, 'reconcile-code.cache.json'), 'utf8')) as { v8: string };
      expect(stamp.v8).toBe(process.versions.v8);
      expect((await runCopy()).stdout).toBe(expected.stdout);
      expect(await codeCaches()).toEqual([]);
    }, SLOW);

    it('another node (the shipped one is not for it) keeps its own, 0600, and uses it on the next run', async () => {
      await fs.writeFile(path.join(copy, 'bundle/reconcile-code.cache.json'), '{"v8":"0.0.0","arch":"x64"}\n');
      expect((await runCopy()).stdout).toBe(expected.stdout);
      const [name] = await codeCaches();
      const file = path.join(cacheDir, name!);
      const first = await fs.stat(file);
      expect(first.mode & 0o777).toBe(0o600);
      expect((await runCopy()).stdout).toBe(expected.stdout);
      // Accepted, so not written again: the same file.
      expect((await fs.stat(file)).ino).toBe(first.ino);
      expect(await codeCaches()).toEqual([name]);
    }, SLOW);

    it('compiles from source when a cache is damaged, and replaces it', async () => {
      await fs.rm(path.join(copy, 'bundle/reconcile-code.cache.json'));
      expect((await runCopy()).code).toBe(2);
      const [name] = await codeCaches();
      const file = path.join(cacheDir, name!);
      const size = (await fs.stat(file)).size;
      await fs.writeFile(file, Buffer.alloc(size, 0x5a), { mode: 0o600 });
      const damaged = await fs.stat(file);
      expect((await runCopy()).stdout).toBe(expected.stdout);
      const after = await fs.stat(file);
      expect(after.ino).not.toBe(damaged.ino);
      expect((await fs.readFile(file)).equals(Buffer.alloc(size, 0x5a))).toBe(false);
    }, SLOW);

    it('neither reads nor writes one in a directory others can write, nor one owned by another user, nor with RECONCILE_NO_CACHE, nor under --root', async () => {
      await fs.rm(path.join(copy, 'bundle/reconcile-code.cache'));
      await fs.mkdir(cacheDir, { recursive: true, mode: 0o700 });
      await fs.chmod(cacheDir, 0o777);
      expect((await runCopy()).stdout).toBe(expected.stdout);
      expect(await codeCaches()).toEqual([]);
      await fs.chmod(cacheDir, 0o700);
      expect((await runCopy({ RECONCILE_NO_CACHE: '1' })).stdout).toBe(expected.stdout);
      expect(await codeCaches()).toEqual([]);
      // Nor inside the --root of the run (an image is not the running machine).
      const image = path.dirname(cacheDir);
      const intoImage = await run(path.join(copy, 'bundle/reconcile.cjs'), ['--plan', '--desired', desired, '--root', image], { RECONCILE_CACHE_DIR: cacheDir }, os.tmpdir());
      expect(intoImage.stdout).toMatch(/^Plan: /m);
      expect(await fs.readdir(cacheDir)).toEqual([]);
      // One of another user's: not used, replaced by the run's own.
      expect((await runCopy()).stdout).toBe(expected.stdout);
      const [name] = await codeCaches();
      const file = path.join(cacheDir, name!);
      await fs.chown(file, 65534, 65534);
      const foreign = await fs.stat(file);
      expect((await runCopy()).stdout).toBe(expected.stdout);
      const after = await fs.stat(file);
      expect({ uid: after.uid, replaced: after.ino !== foreign.ino }).toEqual({ uid: process.getuid!(), replaced: true });
    }, SLOW);
  });

  it('ships the licenses of the packages it bundles', async () => {
    const notices = await fs.readFile(path.join(bundleDir, 'THIRD-PARTY-LICENSES'), 'utf8');
    for (const name of ['yaml', 'execa', 'ajv', 'diff']) expect(notices).toMatch(new RegExp(`^${name} \\d+\\.\\d+\\.\\d+ \\(`, 'm'));
  });
});

describeBuilt('npm pack', () => {
  it('ships the bundle, packaging/ and LICENSE, and neither dist/src (the fault hook) nor dist/bench', async () => {
    const r = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, stdin: 'ignore' });
    const files = (JSON.parse(String(r.stdout)) as { files: { path: string; mode: number }[] }[])[0]!.files;
    const paths = files.map((f) => f.path);
    const pkg = JSON.parse(await fs.readFile(path.join(repo, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(paths).toEqual(expect.arrayContaining([pkg.bin.reconcile, 'LICENSE', 'packaging/cron.d/reconcile-check', 'packaging/systemd/reconcile-check.service', 'packaging/deb/reconcile.8.md', 'rules/nvidia-smi-wrapper.yaml', 'schema/desired-state.schema.json']));
    expect(paths.filter((p) => p.startsWith('dist/') && !p.startsWith('dist/bundle/'))).toEqual([]);
    expect(paths.filter((p) => /fault-injection|meta\.json$|\.deb$/.test(p))).toEqual([]);
    expect(files.find((f) => f.path === pkg.bin.reconcile)!.mode & 0o111).toBe(0o111);
  }, SLOW);
});
