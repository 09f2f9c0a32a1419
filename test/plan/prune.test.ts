// Prune through the built CLI on a temp root: what a `prune: true` resource
// created is deleted (with a backup) once no resource declares it; nothing
// reconcile did not create, nothing changed since, nothing of other resources.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { writeDesired } from '../integration/debian/full-root.js';

const bin = path.resolve(import.meta.dirname, '../../dist/src/cli/bin.js');

const resource = (id: string, p: string, content: string, prune: boolean) =>
  `  - id: ${id}\n    kind: file\n    path: ${p}\n    content: "${content}"\n${prune ? '    prune: true\n' : ''}`;

let root: TempRoot;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await root?.cleanup();
});

async function reconcile(resources: string, args: string[]) {
  const d = await writeDesired(`version: 1\nresources:\n${resources || '  []\n'}`.replace('resources:\n  []', 'resources: []'));
  cleanups.push(d.cleanup);
  const r = await execa(process.execPath, [bin, ...args, '--desired', d.file, '--root', root.dir], { reject: false, stdin: 'ignore' });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const keep = resource('keep', '/etc/keep.conf', 'k', false);

describe('prune', () => {
  beforeEach(async () => {
    root = await makeRoot({ 'etc/existing.conf': 'mine\n', 'usr/local/bin/.keep': '' });
  });

  it('deletes what a prune: true resource created once it leaves the desired state; a second apply does nothing', async () => {
    const first = await reconcile(keep + resource('tool', '/usr/local/bin/tool', 'x', true) + resource('plain', '/etc/plain.conf', 'p', false), ['--apply']);
    expect(first.code).toBe(0);

    const plan = await reconcile(keep, ['--plan', '--format', 'json']);
    expect(plan.code).toBe(2);
    const changes = (JSON.parse(plan.stdout) as { changes: { target: string; action: string; summary: string }[] }).changes;
    expect(changes).toEqual([expect.objectContaining({ target: '/usr/local/bin/tool', action: 'delete', summary: expect.stringMatching(/^delete \/usr\/local\/bin\/tool \(no longer declared;/) })]);

    const apply = await reconcile(keep, ['--apply']);
    expect(apply.code).toBe(0);
    await expect(fs.lstat(root.path('/usr/local/bin/tool'))).rejects.toThrow();
    // Not prune: stays although undeclared.
    expect(await fs.readFile(root.path('/etc/plain.conf'), 'utf8')).toBe('p');
    // Backed up.
    const runs = (await fs.readdir(root.path('/var/lib/reconcile/backups'))).sort();
    expect(await fs.readFile(root.path(`/var/lib/reconcile/backups/${runs.at(-1)}/usr/local/bin/tool`), 'utf8')).toBe('x');

    const again = await reconcile(keep, ['--apply']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
  });

  it('never deletes a file reconcile did not create, even under a prune: true resource', async () => {
    await reconcile(keep + resource('existing', '/etc/existing.conf', 'ours', true), ['--apply']);
    const plan = await reconcile(keep, ['--plan', '--format', 'json']);
    expect(plan.code).toBe(0);
    expect(await fs.readFile(root.path('/etc/existing.conf'), 'utf8')).toBe('ours');
  });

  it('leaves a created file someone changed since, with a warning', async () => {
    await reconcile(keep + resource('tool', '/usr/local/bin/tool', 'x', true), ['--apply']);
    await fs.writeFile(root.path('/usr/local/bin/tool'), 'edited by hand');
    const plan = await reconcile(keep, ['--plan', '--format', 'json']);
    const p = JSON.parse(plan.stdout) as { changes: unknown[]; notes: { level: string; message: string }[] };
    expect(p.changes).toEqual([]);
    expect(p.notes).toEqual([expect.objectContaining({ level: 'warning', message: expect.stringMatching(/has changed since; it is no longer declared and is left alone/) })]);
  });

  it('a partial run (--target) never prunes', async () => {
    await reconcile(keep + resource('tool', '/usr/local/bin/tool', 'x', true), ['--apply']);
    const plan = await reconcile(keep, ['--plan', '--format', 'json', '--target', 'keep']);
    expect((JSON.parse(plan.stdout) as { changes: unknown[] }).changes).toEqual([]);
  });
});

describe('prune after an update', () => {
  beforeEach(async () => {
    root = await makeRoot({ 'etc/.keep': '' });
  });

  it('a created file whose content reconcile later updated is still pruned', async () => {
    await reconcile(keep + resource('tool', '/usr/local/bin/tool', 'x', true), ['--apply']);
    await reconcile(keep + resource('tool', '/usr/local/bin/tool', 'y', true), ['--apply']);
    expect(await fs.readFile(root.path('/usr/local/bin/tool'), 'utf8')).toBe('y');
    const apply = await reconcile(keep, ['--apply']);
    expect(apply.code).toBe(0);
    await expect(fs.lstat(root.path('/usr/local/bin/tool'))).rejects.toThrow();
  });
});
