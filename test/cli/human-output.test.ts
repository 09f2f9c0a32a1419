// What a person reads: plans with errors never claim the host matches,
// copy-paste hints act on the same root and state, markdown renders as
// meant, fixes name the desired state actually loaded, rollback lists every
// target, --quiet is quiet, and the host's data cannot drive the terminal.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parseArgs } from '../../src/cli/args.js';
import { withTargetFlags } from '../../src/cli/command-line.js';
import { main } from '../../src/cli/main.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { makeScenario, type Scenario } from '../safety/scenario.js';
import { captureOutput } from '../safety/snapshot.js';

const repo = path.resolve(import.meta.dirname, '../..');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function cli(...args: string[]) {
  const io = captureOutput();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

async function scenario(yaml?: string): Promise<Scenario> {
  const s = await makeScenario(yaml);
  cleanups.push(() => s.cleanup());
  return s;
}

async function root(tree: Parameters<typeof makeRoot>[0]): Promise<TempRoot> {
  const r = await makeRoot(tree);
  cleanups.push(() => r.cleanup());
  return r;
}

async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-human-'));
  cleanups.push(() => fs.rm(d, { recursive: true, force: true }));
  return d;
}

async function incident(name: string): Promise<TempRoot> {
  const r = await root({});
  await fs.cp(path.join(repo, 'examples/hosts', name), r.dir, { recursive: true, verbatimSymlinks: true });
  return r;
}

describe('a plan with errors', () => {
  it('never says "No changes: the host matches the desired state."', async () => {
    const r = await root({ 'etc/group': 'root:x:0:\n' });
    const dir = await tempDir();
    const desired = path.join(dir, 'd.yaml');
    await fs.writeFile(desired, 'version: 1\nresources:\n  - id: g\n    kind: group\n    group: nosuch\n    members: [root]\n');
    const p = await cli('--plan', '--desired', desired, '--root', r.dir);
    expect(p.code).toBe(1);
    expect(p.stdout).not.toContain('the host matches');
    expect(p.stdout).toContain('Nothing planned: 1 resource could not be planned (errors below)');
    expect(p.stdout).toMatch(/Errors:\n {2}x g/);
  });
});

describe('copy-paste hints carry the run\'s flags', () => {
  it('"Undo this rollback with" names --root and --state-dir, shell-quoted', async () => {
    const s = await scenario();
    // The root as the user typed it: a path with a space (a symlink to the real root).
    const dir = await tempDir();
    const spaced = path.join(dir, 'my root');
    await fs.symlink(s.root.dir, spaced);
    await fs.mkdir(s.root.path('/srv'));
    expect((await cli('--apply', '--desired', s.desired, '--root', spaced, '--state-dir', '/srv/rc')).code).toBe(0);
    const r = await cli('--rollback', '--root', spaced, '--state-dir', '/srv/rc');
    expect(r.code).toBe(0);
    const hint = /Undo this rollback with: (.*)/.exec(r.stdout)![1]!;
    expect(hint).toMatch(new RegExp(`^reconcile --rollback \\d{8}T\\d{6}Z-[0-9a-f]{6} --root '${spaced}' --state-dir /srv/rc$`));
    // The printed command works when pasted into a shell (reconcile -> the built CLI is not needed: check the words).
    const words = await execa('bash', ['-c', `printf '%s\\n' ${hint.replace(/^reconcile /, '')}`]);
    expect(String(words.stdout).split('\n')).toEqual(['--rollback', expect.stringMatching(/^\d{8}T/), '--root', spaced, '--state-dir', '/srv/rc']);
  });

  it('error hints ("reconcile --history lists the runs") name --root and --state-dir too', async () => {
    const r = await root({});
    const bad = await cli('--rollback', 'latest', '--root', r.dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`reconcile --history --root ${r.dir} lists the runs`);
    const none = await cli('--rollback', '--root', r.dir, '--state-dir', '/srv/rc');
    expect(none.stderr).toContain(`reconcile --history --root ${r.dir} --state-dir /srv/rc lists the runs`);
    expect(none.stderr).toContain(`reconcile --rollback RUN_ID --root ${r.dir} --state-dir /srv/rc.`);
    // On the live root with the default state dir there is nothing to add.
    expect(withTargetFlags('See reconcile --history.', parseArgs(['--apply']))).toBe('See reconcile --history.');
  });

  it('a finding\'s fix names the desired-state file loaded and carries --desired and --root', async () => {
    const r = await incident('incident-2-nvidia-smi-wrapper');
    const dir = await tempDir();
    const desired = path.join(dir, 'site.yaml');
    await fs.copyFile(path.join(repo, 'desired-state/ds01.yaml'), desired);
    const p = await cli('--plan', '--desired', desired, '--root', r.dir);
    const fix = p.stdout.split('\n').find((l) => l.includes('fix: The `video-includes-docker` resource'))!;
    expect(fix).toMatch(new RegExp(`in ${desired}:\\d+ adds every docker member`));
    expect(fix).not.toContain('desired-state/ds01.yaml');
    expect(fix).toContain(`\`reconcile --apply --desired ${desired} --root ${r.dir}\``);
    // JSON keeps the rule's text as it is.
    const j = JSON.parse((await cli('--plan', '--desired', desired, '--root', r.dir, '--format', 'json')).stdout);
    expect(j.findings.find((f: { rule: string }) => f.rule === 'video-group-restricted').remediation).toContain('desired-state/ds01.yaml');
  });

  it('a fix whose resource is not in the loaded state says so', async () => {
    const r = await incident('incident-2-nvidia-smi-wrapper');
    const dir = await tempDir();
    const desired = path.join(dir, 'empty.yaml');
    await fs.writeFile(desired, 'version: 1\nresources: []\n');
    const p = await cli('--plan', '--desired', desired, '--root', r.dir);
    expect(p.stdout).toContain(`in your desired state (${desired}; it has no such resource yet: copy it from reconcile's desired-state/ds01.yaml)`);
  });
});

describe('markdown', () => {
  it('puts a blank line before the findings heading and keeps the fix in the table', async () => {
    const r = await incident('incident-1-device-permissions');
    const p = await cli('--plan', '--desired', path.join(repo, 'desired-state/ds01.yaml'), '--root', r.dir, '--format', 'markdown');
    expect(p.stdout).toMatch(/\n\n\*\*Findings\*\*\n/);
    expect(p.stdout).toContain('| severity | rule | target | message | fix |');
    const row = p.stdout.split('\n').find((l) => l.startsWith('| warning | nvidia-smi-cache |'))!;
    expect(row).toContain('The `legacy-device-permission-files` resource (kind absent) removes it');
    expect(row.split(/(?<!\\)\|/).length).toBe(7);
  });
});

describe('markdown names', () => {
  it('a name with backticks or HTML cannot break the table or the review comment', async () => {
    const r = await root({ 'etc/a`b<img src=x>': 'x\n' });
    const dir = await tempDir();
    const desired = path.join(dir, 'd.yaml');
    await fs.writeFile(desired, 'version: 1\nresources:\n  - id: odd\n    kind: absent\n    paths: ["/etc/a*"]\n');
    const p = await cli('--plan', '--desired', desired, '--root', r.dir, '--format', 'markdown');
    expect(p.stdout).toContain('| ➖ | `` /etc/a`b<img src=x> `` | absent | odd |');
    expect(p.stdout).toContain('<details><summary>/etc/a`b&lt;img src=x&gt;</summary>');
  });
});

describe('rollback text', () => {
  it('lists the targets that are already as before the run (not only in JSON)', async () => {
    const s = await scenario();
    expect((await cli('--apply', '--desired', s.desired, '--root', s.root.dir)).code).toBe(0);
    // Someone put /etc/gone.conf back by hand, exactly as it was.
    await fs.writeFile(s.root.path('/etc/gone.conf'), 'remove me\n', { mode: 0o640 });
    await fs.chmod(s.root.path('/etc/gone.conf'), 0o640);
    await fs.chown(s.root.path('/etc/gone.conf'), 0, 50);
    const r = await cli('--rollback', '--root', s.root.dir);
    expect(r.stdout).toMatch(/^ {2}already \/etc\/gone\.conf {2}\(as it was before run \S+\)$/m);
  });
});

describe('--quiet', () => {
  it('plan: only errors and the summary line; apply: only failures and one summary line', async () => {
    const s = await scenario();
    const p = await cli('--plan', '--desired', s.desired, '--root', s.root.dir, '--quiet');
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/^Plan: \d+ to create, \d+ to update, \d+ to delete, \d+ unchanged\.( Findings: .*)?\n$/);
    const a = await cli('--apply', '--desired', s.desired, '--root', s.root.dir, '--quiet');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^Apply: \d+ applied, 0 skipped, 0 failed\. The host is converged\.\n$/);
  });

  it('check: only the summary line', async () => {
    const s = await scenario();
    const c = await cli('--check', '--desired', s.desired, '--root', s.root.dir, '--quiet');
    expect(c.code).toBe(2);
    expect(c.stdout).toMatch(/^Check DRIFT: \d+ change\(s\) pending, 0 error\(s\), findings: .*\n$/);
  });
});

describe('control characters from the host are escaped in human output', () => {
  const evil = 'evil\x1b[8m\nhidden';
  it('text and markdown show them escaped; JSON keeps the exact name', async () => {
    const r = await root({ [`etc/${evil}`]: 'x\x1b]0;title\x07y\n' });
    const dir = await tempDir();
    const desired = path.join(dir, 'd.yaml');
    await fs.writeFile(desired, 'version: 1\nresources:\n  - id: evil\n    kind: absent\n    paths: ["/etc/evil*"]\n');
    for (const format of ['text', 'markdown']) {
      const p = await cli('--plan', '--desired', desired, '--root', r.dir, '--format', format);
      expect(p.code).toBe(2);
      expect(p.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(p.stdout).toContain('/etc/evil\\e[8m\\nhidden');
      expect(p.stdout).not.toMatch(/^hidden/m); // the newline in the name forges no line
    }
    const j = await cli('--plan', '--desired', desired, '--root', r.dir, '--format', 'json');
    expect(JSON.parse(j.stdout).changes[0].target).toBe(`/etc/${evil}`);
    // After apply, --history prints the name escaped too.
    expect((await cli('--apply', '--desired', desired, '--root', r.dir)).code).toBe(0);
    const h = await cli('--history', '--root', r.dir);
    expect(h.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(h.stdout).toContain('/etc/evil\\e[8m\\nhidden');
  });

  it('errors too', async () => {
    const dir = await tempDir();
    const desired = path.join(dir, 'd.yaml');
    await fs.writeFile(desired, 'version: 1\nresources: []\n');
    const e = await cli('--plan', '--desired', desired, '--root', '/nonexistent/\x1b[2Jroot');
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('/nonexistent/\\e[2Jroot');
    expect(e.stderr).not.toContain('\x1b');
  });
});
