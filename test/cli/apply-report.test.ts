// --apply --report FILE: one process applies, then writes the report that a
// following `--check --report FILE` writes (what the Ansible role fetches),
// and a failed apply still leaves a report that says why.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../safety/snapshot.js';
import { canMakeDevices, charDevice, makeRoot, type TempRoot } from '../helpers/temp-root.js';

const repo = path.resolve(import.meta.dirname, '../..');
const ds01 = path.join(repo, 'desired-state/ds01.yaml');

async function run(args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** A report without its time: the rest must be equal. */
async function readReport(file: string): Promise<Record<string, unknown>> {
  const { checkedAt, ...rest } = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  expect(typeof checkedAt).toBe('string');
  return rest;
}

let root: TempRoot;
let out: string;
beforeEach(async () => {
  root = await makeRoot({});
  // The second incident, as on a drifted fleet host: the wrapper linked, video cut down.
  await fs.cp(path.join(repo, 'examples/hosts/incident-2-nvidia-smi-wrapper'), root.dir, { recursive: true, verbatimSymlinks: true });
  if (await canMakeDevices()) {
    await root.add({
      'dev/nvidia0': charDevice(195, 0, { mode: 0o660, gid: 44 }),
      'dev/nvidiactl': charDevice(195, 255, { mode: 0o660, gid: 44 }),
    });
  }
  out = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-apply-report-'));
});
afterEach(async () => {
  await root.cleanup();
  await fs.rm(out, { recursive: true, force: true });
});

describe('--apply --report', () => {
  it('writes the report a following --check --report writes, and keeps the apply exit code and output', async () => {
    const before = await run(['--check', '--desired', ds01, '--root', root.dir, '--report', path.join(out, 'before.json')]);
    expect(before.code).toBe(2);
    const applied = await run(['--apply', '--detailed-exitcode', '--desired', ds01, '--root', root.dir, '--report', path.join(out, 'apply.json')]);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 2, stderr: '' });
    expect(applied.stdout).toContain('The host is converged.');
    const check = await run(['--check', '--desired', ds01, '--root', root.dir, '--report', path.join(out, 'check.json')]);
    const report = await readReport(path.join(out, 'apply.json'));
    expect(report).toEqual(await readReport(path.join(out, 'check.json')));
    // Not the pre-apply state: the incident's changes and findings are gone.
    expect(await readReport(path.join(out, 'before.json'))).not.toEqual(report);
    expect({ check: check.code, changes: (report.changes as unknown[]).length, root: report.root }).toEqual({ check: 0, changes: 0, root: root.dir });
    expect(await fs.stat(path.join(out, 'apply.json'))).toMatchObject({ mode: 0o100640 });
  });

  it('on a converged host: exit 0, and the same report again', async () => {
    await run(['--apply', '--desired', ds01, '--root', root.dir]);
    const r = await run(['--apply', '--detailed-exitcode', '--format', 'json', '--desired', ds01, '--root', root.dir, '--report', path.join(out, 'apply.json')]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { report: unknown };
    expect(json).toMatchObject({ converged: true, outcomes: [] });
    await run(['--check', '--desired', ds01, '--root', root.dir, '--report', path.join(out, 'check.json')]);
    expect(await readReport(path.join(out, 'apply.json'))).toEqual(await readReport(path.join(out, 'check.json')));
    // The JSON output carries the report as written: a caller reading stdout needs no second read.
    expect(json.report).toEqual(JSON.parse(await fs.readFile(path.join(out, 'apply.json'), 'utf8')));
  });

  it('prints the report in the JSON output of an apply that changed the host', async () => {
    const r = await run(['--apply', '--detailed-exitcode', '--format', 'json', '--desired', ds01, '--root', root.dir, '--report', path.join(out, 'apply.json')]);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout) as { outcomes: unknown[]; report: { changes: unknown[] } };
    expect(json.outcomes.length).toBeGreaterThan(0);
    expect(json.report).toEqual(JSON.parse(await fs.readFile(path.join(out, 'apply.json'), 'utf8')));
    expect(json.report.changes).toEqual([]);
    // Without --report there is none.
    const again = await run(['--apply', '--format', 'json', '--desired', ds01, '--root', root.dir]);
    expect(JSON.parse(again.stdout)).not.toHaveProperty('report');
  });

  it('an apply with a failed resource exits 1 and reports what is left, as --check would', async () => {
    const desired = path.join(out, 'desired.yaml');
    await fs.writeFile(
      desired,
      'version: 1\nresources:\n  - id: f\n    kind: file\n    path: /etc/x\n    content: "new\\n"\n  - id: g\n    kind: group\n    group: nosuch\n    members: [root]\n',
    );
    const r = await run(['--apply', '--detailed-exitcode', '--desired', desired, '--root', root.dir, '--report', path.join(out, 'apply.json')]);
    expect(r.code).toBe(1);
    expect(await fs.readFile(root.path('/etc/x'), 'utf8')).toBe('new\n');
    const report = await readReport(path.join(out, 'apply.json'));
    expect(JSON.stringify(report.errors)).toContain('nosuch');
    await run(['--check', '--desired', desired, '--root', root.dir, '--report', path.join(out, 'check.json')]);
    expect(report).toEqual(await readReport(path.join(out, 'check.json')));
  });

  it('an apply that cannot start writes a report naming why, replacing an older one, and exits 1', async () => {
    const file = path.join(out, 'apply.json');
    await fs.writeFile(file, '{"changes": [], "errors": []}\n');
    const desired = path.join(out, 'bad.yaml');
    await fs.writeFile(desired, 'version: 1\nresources:\n  - id: f\n    kind: file\n    pathh: /etc/x\n');
    const r = await run(['--apply', '--desired', desired, '--root', root.dir, '--report', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^reconcile: error: .*bad\.yaml:\d+:\d+/);
    const report = await readReport(file);
    expect(Object.keys(report)).toEqual(['error']);
    expect(report.error).toContain('pathh');
  });

  it('says so and exits 1 when the report cannot be written, after applying', async () => {
    // Its directory is a file: no report can be made there.
    await fs.writeFile(path.join(out, 'file'), '');
    const r = await run(['--apply', '--desired', ds01, '--root', root.dir, '--report', path.join(out, 'file/apply.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('The host is converged.');
    expect(r.stderr).toContain(`could not write the report ${path.join(out, 'file/apply.json')}`);
  });

  it('is refused with --plan-file, which applies a saved plan exactly', async () => {
    const r = await run(['--apply', '--plan-file', path.join(out, 'p.json'), '--report', path.join(out, 'r.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--plan-file and --report cannot be combined');
  });
});
