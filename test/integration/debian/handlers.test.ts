// Handlers in a real minbase Debian root: the handler is a real program in
// the root (a counting script), run through the Host (chroot under --root,
// argv only). Runs once per apply whatever the number of notifying changes,
// in declaration order, never on a converged host; a failure fails the apply.

import { promises as fs } from 'node:fs';
import { DebianRoot, describeWithDebianRoot, debianRootGate, warnIfDistStale } from './debian-root.js';
import { reconcileRoot, writeDesired } from './full-root.js';

const gate = await debianRootGate();

// Appends its argument to /var/log/handler-runs: the record of what ran, in order.
const COUNTER = '#!/bin/sh\necho "$1" >> /var/log/handler-runs\n';

const desiredYaml = (content: string, extra = '') => `version: 1
handlers:
  - id: first
    command: [/usr/local/bin/count-run, first]
    runUnderRoot: true
  - id: second
    command: [/usr/local/bin/count-run, second]
    runUnderRoot: true
  - id: live-only
    command: [udevadm, control, --reload-rules]
${extra}resources:
  - id: conf-a
    kind: file
    path: /etc/demo/a.conf
    content: "${content}"
    notify: [second, first]
  - id: conf-b
    kind: file
    path: /etc/demo/b.conf
    content: "${content}"
    notify: [first, live-only]
`;

describeWithDebianRoot(gate, 'handlers in a Debian root', (tarball) => {
  let root: DebianRoot;
  const cleanups: (() => Promise<void>)[] = [];
  const desired = async (yaml: string) => {
    const d = await writeDesired(yaml);
    cleanups.push(d.cleanup);
    return d.file;
  };
  const runsLog = async () => (await fs.readFile(root.path('/var/log/handler-runs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

  beforeAll(async () => {
    await warnIfDistStale();
    root = await DebianRoot.extract(tarball);
    await fs.writeFile(root.path('/usr/local/bin/count-run'), COUNTER, { mode: 0o755 });
  });

  afterAll(async () => {
    for (const c of cleanups) await c();
    await root?.cleanup();
  });

  it('the plan names the handlers that would run and who notifies them, in every format', async () => {
    const file = await desired(desiredYaml('one'));
    const json = JSON.parse((await reconcileRoot(root, file, ['--plan', '--format', 'json'])).stdout) as {
      handlers: { id: string; notifiedBy: string[]; skip?: string }[];
    };
    expect(json.handlers.map((h) => [h.id, h.notifiedBy])).toEqual([
      ['first', ['conf-a', 'conf-b']],
      ['second', ['conf-a']],
      ['live-only', ['conf-b']],
    ]);
    expect(json.handlers[2]!.skip).toMatch(/under --root/);
    const text = (await reconcileRoot(root, file, ['--plan'])).stdout;
    expect(text).toContain('Handlers to run after apply:\n  ! first: /usr/local/bin/count-run first (notified by conf-a, conf-b)');
    const md = (await reconcileRoot(root, file, ['--plan', '--format', 'markdown'])).stdout;
    expect(md).toContain('**Handlers to run after apply**');
    expect(await runsLog()).toEqual([]);
  });

  it('apply runs each notified handler once, in declaration order; a live-only one is skipped and said', async () => {
    const file = await desired(desiredYaml('one'));
    const r = await reconcileRoot(root, file, ['--apply']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await runsLog()).toEqual(['first', 'second']);
    expect(r.stdout).toContain('ok      handler first: /usr/local/bin/count-run first');
    expect(r.stdout).toMatch(/skipped handler live-only: udevadm control --reload-rules\n\s+skipped under --root/);
    // Journaled.
    const runs = await fs.readdir(root.path('/var/lib/reconcile/runs'));
    const journal = await fs.readFile(root.path(`/var/lib/reconcile/runs/${runs[0]}/journal.jsonl`), 'utf8');
    const handlerEntries = journal.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; id?: string; status?: string }).filter((e) => e.type === 'handler');
    expect(handlerEntries.map((e) => [e.id, e.status])).toEqual([['first', 'ran'], ['second', 'ran'], ['live-only', 'skipped']]);
  });

  it('a second apply changes nothing and runs no handler', async () => {
    const file = await desired(desiredYaml('one'));
    const before = await fs.readdir(root.path('/var/lib/reconcile/runs'));
    const r = await reconcileRoot(root, file, ['--apply']);
    expect(r.code).toBe(0);
    expect(await runsLog()).toEqual(['first', 'second']);
    expect(await fs.readdir(root.path('/var/lib/reconcile/runs'))).toEqual(before);
  });

  it('only the handlers of resources that changed run', async () => {
    const file = await desired(desiredYaml('one').replace('path: /etc/demo/b.conf\n    content: "one"', 'path: /etc/demo/b.conf\n    content: "two"'));
    const r = await reconcileRoot(root, file, ['--apply']);
    expect(r.code).toBe(0);
    expect(await runsLog()).toEqual(['first', 'second', 'first']);
  });

  it('a failing handler fails the apply (exit 1) with its output; the changes stay applied', async () => {
    const failing = `  - id: broken\n    command: [/bin/ls, /no/such/dir]\n    runUnderRoot: true\n`;
    const file = await desired(desiredYaml('three', failing).replace('notify: [first, live-only]', 'notify: [broken]'));
    const r = await reconcileRoot(root, file, ['--apply']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED  handler broken: \/bin\/ls \/no\/such\/dir\n\s+handler broken \(\/bin\/ls \/no\/such\/dir\) failed \(exit 2\):\n\s+.*No such file or directory/);
    expect(r.stdout).toContain('Handler failed: broken; the apply failed.');
    expect(await fs.readFile(root.path('/etc/demo/b.conf'), 'utf8')).toBe('three');
  });
});
