// The shipped command is the bundle (dist/bundle/reconcile.mjs, package.json
// "bin"), not the tsc build the other tests run. It must work from its own
// files alone, behave like the tsc build, and not carry the crash tests'
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

const built = existsSync(path.join(bundleDir, 'reconcile.mjs')) && existsSync(tscBin);
if (!built && process.env.CI === 'true') throw new Error('dist/bundle/reconcile.mjs is missing: `npm run build` must build it');
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

  const bundle = () => path.join(standalone, 'bundle/reconcile.mjs');

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
        const r = await run(path.join(copy, 'bundle/reconcile.mjs'), args, {}, os.tmpdir());
        const findings = (JSON.parse(r.stdout) as { findings: { rule: string; severity: string }[] }).findings;
        return [...new Set(findings.filter((f) => f.rule === 'nvidia-smi-wrapper').map((f) => f.severity))];
      };
      expect(await severities()).toEqual(['critical']);
      await fs.writeFile(ruleFile, shipped.replace('severity: critical', 'severity: info'));
      expect(await severities()).toEqual(['info']);
      await fs.writeFile(ruleFile, shipped.replace('severity: critical', 'severity: [critical'));
      const broken = await run(path.join(copy, 'bundle/reconcile.mjs'), args, {}, os.tmpdir());
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/rules\/nvidia-smi-wrapper\.yaml:\d+:\d+: /);
      expect(broken.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
    }
  }, SLOW);

  it('plans and validates without reading what those modes do not use: execa, the rule validator (the shipped rules are prebuilt), the saved-plan writer, apply', async () => {
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bundle-lazy-'));
    try {
      await fs.cp(standalone, copy, { recursive: true });
      const chunks = path.join(copy, 'bundle/chunks');
      const unused = (await fs.readdir(chunks)).filter((f) => /^(execa|rule|save-plan|apply-command|rollback-command|history-command)-[A-Z0-9]+\.mjs$/.test(f));
      expect(unused.map((f) => f.replace(/-[A-Z0-9]+\.mjs$/, '')).sort()).toEqual(['apply-command', 'execa', 'history-command', 'rollback-command', 'rule', 'save-plan']);
      for (const f of unused) await fs.rm(path.join(chunks, f));
      for (const args of [
        ['--plan', '--desired', desired, '--root', incidentHost],
        ['--validate', '--desired', desired],
      ]) {
        const [lean, full] = await Promise.all([run(path.join(copy, 'bundle/reconcile.mjs'), args, {}, os.tmpdir()), run(bundle(), args, {}, os.tmpdir())]);
        expect({ args, ...lean }).toEqual({ args, ...full });
      }
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
    }
  }, SLOW);

  it('has no crash-test fault hook: RECONCILE_FAULT_AFTER does not stop an apply', async () => {
    const shipped = await filesUnder(bundleDir);
    for (const f of shipped.filter((f) => f.endsWith('.mjs'))) {
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
