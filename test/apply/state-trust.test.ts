// Trust no state reconcile did not write (issue 9, section 2): an untrusted
// state directory is refused for every mode that reads it, a forged backup
// record never makes --rollback create a setuid file, and a damaged journal
// (one `null` line) is reported and skipped, never an internal error.

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { main } from '../../src/cli/main.js';
import { isRoot } from '../helpers/temp-root.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput } from '../safety/snapshot.js';

const STATE = '/var/lib/reconcile';
const RUN = '20260131T100000Z-0a0b0c';
const SHELL = '#!/bin/sh\nexec /bin/sh -p\n';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

let s: Scenario;
beforeEach(async () => {
  s = await makeScenario();
});
afterEach(async () => {
  await s.cleanup();
});

async function cli(...args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
const apply = () => cli('--apply', '--desired', s.desired, '--root', s.root.dir);

interface Forgery {
  /** Where the journal says the backup copy is (inside the root). */
  copy: string;
  /** What a .meta.json beside this run's copy of the path says; none when undefined. */
  meta?: Record<string, unknown>;
}

/**
 * A journal as an attacker would write it: the run "created" a harmless
 * /usr/local/bin/rootsh, and its backup record says the path was before a
 * setuid-root shell, so a rollback would put that back.
 */
async function plantForgedRun({ copy, meta }: Forgery): Promise<void> {
  await fs.writeFile(s.root.path('/usr/local/bin/rootsh'), 'harmless\n', { mode: 0o755 });
  await fs.writeFile(s.root.path(copy), SHELL, { mode: 0o600 });
  const record = { path: '/usr/local/bin/rootsh', type: 'file', mode: 0o4755, uid: 0, gid: 0, copy, sha256: sha(SHELL), size: SHELL.length };
  if (meta !== undefined) {
    const where = s.root.path(`${STATE}/backups/${RUN}/usr/local/bin/rootsh`);
    await fs.mkdir(where.replace(/\/[^/]+$/, ''), { recursive: true, mode: 0o700 });
    await fs.writeFile(`${where}.meta.json`, JSON.stringify({ ...record, ...meta }), { mode: 0o600 });
  }
  const change = {
    resource: 'x',
    kind: 'file',
    target: '/usr/local/bin/rootsh',
    action: 'update',
    summary: 'update /usr/local/bin/rootsh',
    expect: { type: 'absent' },
    op: { type: 'write-file', contentBase64: Buffer.from('harmless\n').toString('base64'), mode: 0o755, uid: 0, gid: 0 },
  };
  const lines = [
    { type: 'start', runId: RUN, time: '2026-01-31T10:00:00.000Z', user: 'root', hostname: os.hostname(), pid: 1, root: s.root.dir, operation: 'apply', desired: [] },
    { type: 'begin', seq: 0, time: '2026-01-31T10:00:00.100Z', change, backups: [record], before: { type: 'absent' } },
    { type: 'outcome', seq: 0, time: '2026-01-31T10:00:00.200Z', status: 'applied', message: 'ok' },
    { type: 'end', time: '2026-01-31T10:00:00.300Z', status: 'converged', counts: { applied: 1, skipped: 0, failed: 0 } },
  ];
  const dir = s.root.path(`${STATE}/runs/${RUN}`);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.writeFile(`${dir}/journal.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', { mode: 0o600 });
}

async function rootshMode(): Promise<number> {
  return (await fs.stat(s.root.path('/usr/local/bin/rootsh'))).mode & 0o7777;
}

const describeRoot = isRoot ? describe : describe.skip;

describeRoot('an untrusted state directory (needs root: chown)', () => {
  it('is refused by --rollback, --history and --apply, and a forged journal there creates no setuid file', async () => {
    await fs.mkdir(s.root.path('/tmp'), { mode: 0o1777 });
    await plantForgedRun({ copy: '/tmp/sh' });
    await fs.chown(s.root.path(STATE), 1001, 1001);
    for (const args of [['--rollback'], ['--rollback', RUN], ['--history'], ['--apply', '--desired', s.desired]]) {
      const r = await cli(...args, '--root', s.root.dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^reconcile: error: refusing to use the state directory \/var\/lib\/reconcile: \/var\/lib\/reconcile \(in root .*\) is owned by uid 1001, not root/);
      expect(r.stderr).toContain('chown root');
      expect(r.stderr).not.toContain('internal error');
    }
    expect(await rootshMode()).toBe(0o755);
    // --apply wrote nothing: no backups, no new run.
    expect(await fs.readdir(s.root.path(`${STATE}/runs`))).toEqual([RUN]);
  });

  it('is refused when it, runs/ or an ancestor is writable by others', async () => {
    expect((await apply()).code).toBe(0);
    for (const [dir, mode] of [
      [STATE, 0o777],
      [`${STATE}/runs`, 0o770],
      ['/var/lib', 0o757],
    ] as const) {
      const was = (await fs.stat(s.root.path(dir))).mode & 0o7777;
      await fs.chmod(s.root.path(dir), mode);
      const r = await cli('--history', '--root', s.root.dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${dir} (in root ${s.root.dir}) is `);
      await fs.chmod(s.root.path(dir), was);
    }
    expect((await cli('--history', '--root', s.root.dir)).code).toBe(0);
  });
});

describe('a state directory reconcile makes', () => {
  it('is 0700, with runs/ and backups/ 0700', async () => {
    expect((await apply()).code).toBe(0);
    for (const dir of [STATE, `${STATE}/runs`, `${STATE}/backups`]) {
      expect(((await fs.stat(s.root.path(dir))).mode & 0o777).toString(8)).toBe('700');
    }
  });
});

describe('forged backup records in a trusted state directory', () => {
  it('never restore a copy from outside the run\'s own backups', async () => {
    // Even with a .meta.json that agrees with the journal.
    await plantForgedRun({ copy: '/etc/evil-copy', meta: {} });
    const r = await cli('--rollback', RUN, '--root', s.root.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the backup of \/usr\/local\/bin\/rootsh \(\/etc\/evil-copy\) is missing or damaged: .*not at \/var\/lib\/reconcile\/backups\/20260131T100000Z-0a0b0c\/usr\/local\/bin\/rootsh inside this run's backups/);
    expect(await rootshMode()).toBe(0o755);
  });

  it('never restore a setuid bit the .meta.json beside the copy does not vouch for', async () => {
    const copy = `${STATE}/backups/${RUN}/usr/local/bin/rootsh`;
    await fs.mkdir(s.root.path(`${STATE}/backups/${RUN}/usr/local/bin`), { recursive: true, mode: 0o700 });
    await plantForgedRun({ copy, meta: { mode: 0o755 } });
    const r = await cli('--rollback', RUN, '--root', s.root.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('disagree on mode');
    expect(await rootshMode()).toBe(0o755);
    // No .meta.json at all: refused as well.
    await fs.rm(s.root.path(`${copy}.meta.json`));
    const r2 = await cli('--rollback', RUN, '--root', s.root.dir);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/rootsh\.meta\.json is missing/);
    expect(await rootshMode()).toBe(0o755);
  });

  it('refuses a record the schema rejects (a mode that is not a mode) as a damaged run', async () => {
    await plantForgedRun({ copy: '/etc/evil-copy' });
    const file = s.root.path(`${STATE}/runs/${RUN}/journal.jsonl`);
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('"mode":2541', '"mode":"4755"'));
    const r = await cli('--rollback', RUN, '--root', s.root.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot roll back run ${RUN} is damaged and skipped: its journal is damaged at line 2: /backups/0/mode must be integer`);
  });
});

describe('a damaged journal (one null line)', () => {
  /** Damages the one run other than `good`. (Not "the largest id": two runs in the same second sort by their random suffix.) */
  async function damageOtherRun(good: string): Promise<string> {
    const ids = (await fs.readdir(s.root.path(`${STATE}/runs`))).filter((id) => id !== good);
    expect(ids).toHaveLength(1);
    const [id] = ids;
    const file = s.root.path(`${STATE}/runs/${id}/journal.jsonl`);
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    lines.splice(2, 0, 'null');
    await fs.writeFile(file, lines.join('\n'));
    return id!;
  }

  it('is reported by --history and skipped; --apply and --rollback keep working', async () => {
    expect((await apply()).code).toBe(0);
    const good = (await fs.readdir(s.root.path(`${STATE}/runs`)))[0]!;
    await fs.writeFile(s.root.path('/etc/managed.conf'), 'edited\n');
    expect((await apply()).code).toBe(0);
    const bad = await damageOtherRun(good);
    expect(bad).not.toBe(good);

    const h = await cli('--history', '--root', s.root.dir, '--format', 'json');
    expect(h.code).toBe(0);
    const json = JSON.parse(h.stdout) as { runs: { runId: string }[]; damaged: { runId: string; reason: string }[] };
    expect(json.runs.map((r) => r.runId)).toEqual([good]);
    expect(json.damaged).toEqual([{ runId: bad, reason: 'its journal is damaged at line 3: the record must be object' }]);
    const text = await cli('--history', '--root', s.root.dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`warning: run ${bad} is damaged and skipped: its journal is damaged at line 3`);

    // A no-op apply, and one with changes.
    const noop = await apply();
    expect(noop.stderr).toBe('');
    expect(noop.code).toBe(0);
    await fs.writeFile(s.root.path('/etc/managed.conf'), 'edited again\n');
    const again = await apply();
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);

    const named = await cli('--rollback', bad, '--root', s.root.dir);
    expect(named.code).toBe(1);
    expect(named.stderr).toContain(`cannot roll back run ${bad} is damaged and skipped`);
    // The default rollback skips it and takes the latest good run.
    const r = await cli('--rollback', '--root', s.root.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`warning: run ${bad} is damaged and skipped`);
    expect(r.stdout).not.toContain(`Rolling back run ${bad}`);
  });

  it('a torn last line is still a crash, not damage; records after a torn line are damage', async () => {
    expect((await apply()).code).toBe(0);
    const [id] = await fs.readdir(s.root.path(`${STATE}/runs`));
    const file = s.root.path(`${STATE}/runs/${id}/journal.jsonl`);
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text + '{"type":"outc');
    let h = JSON.parse((await cli('--history', '--root', s.root.dir, '--format', 'json')).stdout);
    expect(h.damaged).toEqual([]);
    await fs.writeFile(file, text.replace('\n', '\n{"type":"outc\n'));
    h = JSON.parse((await cli('--history', '--root', s.root.dir, '--format', 'json')).stdout);
    expect(h.damaged[0].reason).toContain('line 2 is not JSON, and records follow it');
  });
});
