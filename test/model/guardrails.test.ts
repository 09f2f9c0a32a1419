// Guardrails: setuid/setgid and world-writable modes, and device modes
// outside /dev/nvidia*, are warned about by --validate and --plan (a note;
// the exit code is what it would be without them). Nothing warned before.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { guardrailNotes } from '../../src/model/guardrails.js';
import { validateDesiredStateText } from '../../src/model/load.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { captureOutput } from '../safety/snapshot.js';

const YAML = `version: 1
resources:
  - {id: rootsh, kind: file, path: /usr/local/bin/rootsh, content: "x", mode: "4755"}
  - {id: shared, kind: file, path: /etc/shared.conf, content: "x", mode: "0666"}
  - {id: fine, kind: file, path: /etc/fine.conf, content: "x", mode: "0644"}
  - {id: unset, kind: file, path: /etc/unset.conf, content: "x"}
  - {id: env, kind: profile-env, path: /etc/profile.d/x.sh, env: {A: ""}, mode: "2777"}
  - {id: gpus, kind: device-mode, paths: ["/dev/nvidia*", "/dev/nvidia-caps/nvidia-cap*"], mode: "0666", owner: root, group: root}
  - {id: disk, kind: device-mode, paths: ["/dev/sda"], mode: "0660", owner: root, group: disk}
  - {id: mem, kind: device-mode, paths: ["/dev/mem"], mode: "0666", owner: root, group: root}
`;

describe('guardrailNotes', () => {
  it('warns about set-id, world-writable and non-GPU device modes, located, and nothing else', async () => {
    const notes = guardrailNotes(await validateDesiredStateText(YAML, 'desired.yaml'));
    const by = (id: string) => notes.filter((n) => n.resource === id).map((n) => n.message);
    expect(notes.every((n) => n.level === 'warning')).toBe(true);
    expect(by('rootsh')).toEqual([expect.stringMatching(/^desired\.yaml:3:\d+: file \/usr\/local\/bin\/rootsh is declared mode 4755: setuid \(whoever runs it gets its owner's privileges\)/)]);
    expect(by('shared')).toEqual([expect.stringContaining('file /etc/shared.conf is declared mode 0666: world-writable')]);
    expect(by('env')).toEqual([expect.stringMatching(/mode 2777: setgid \(whoever runs it gets its group's privileges\); world-writable/)]);
    expect(by('disk')).toEqual([expect.stringContaining('device /dev/sda is declared mode 0660: a device outside /dev/nvidia*')]);
    expect(by('mem')).toEqual([expect.stringMatching(/\/dev\/mem is declared mode 0666: world-writable \(every user can write to the device\); a device outside/)]);
    // The GPU nodes are 0666 by design; plain 0644 files and unset modes are not worth a word.
    expect(by('gpus')).toEqual([]);
    expect(by('fine')).toEqual([]);
    expect(by('unset')).toEqual([]);
  });
});

describe('--validate and --plan', () => {
  let root: TempRoot;
  let file: string;
  beforeEach(async () => {
    root = await makeRoot({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n', 'etc/group': 'root:x:0:\ndisk:x:6:\n' });
    file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-guard-')), 'desired.yaml');
    await fs.writeFile(file, YAML);
  });
  afterEach(async () => {
    await root.cleanup();
    await fs.rm(path.dirname(file), { recursive: true, force: true });
  });

  it('--validate says the warnings and still exits 0', async () => {
    const io = captureOutput();
    expect(await main(['--validate', '--desired', file], io)).toBe(0);
    expect(io.stdout).toMatch(/^valid: /);
    expect(io.stdout).toMatch(/\nwarning: rootsh: .*desired\.yaml:3:\d+: file \/usr\/local\/bin\/rootsh is declared mode 4755: setuid/);
    const json = captureOutput();
    expect(await main(['--validate', '--desired', file, '--format', 'json'], json)).toBe(0);
    const out = JSON.parse(json.stdout) as { valid: boolean; warnings: { resource: string }[] };
    expect(out.valid).toBe(true);
    expect(out.warnings.map((w) => w.resource)).toEqual(['rootsh', 'shared', 'env', 'disk', 'mem']);
  });

  it('--plan shows them as warning notes; the exit code is still 2 (changes pending)', async () => {
    const io = captureOutput();
    expect(await main(['--plan', '--desired', file, '--root', root.dir], io)).toBe(2);
    expect(io.stdout).toMatch(/! rootsh: .*declared mode 4755: setuid/);
    expect(io.stdout).toMatch(/! disk: .*\/dev\/sda .*a device outside \/dev\/nvidia\*/);
    const json = captureOutput();
    expect(await main(['--plan', '--desired', file, '--root', root.dir, '--format', 'json'], json)).toBe(2);
    const notes = (JSON.parse(json.stdout) as { notes: { resource: string; level: string; target: string }[] }).notes;
    expect(notes.filter((n) => n.level === 'warning' && n.resource === 'mem')).toEqual([expect.objectContaining({ target: '/dev/mem' })]);
  });
});
