// The apply text never says "the host already matches" while a resource
// could not be planned: the status line and the FAILED lines must agree.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { captureOutput } from '../safety/snapshot.js';

let root: TempRoot;
beforeEach(async () => {
  root = await makeRoot({ 'etc/group': 'root:x:0:\n', 'etc/x': 'hi\n' });
});
afterEach(async () => {
  await root.cleanup();
});

async function apply(yaml: string) {
  const desired = path.join(root.dir, '..', `${path.basename(root.dir)}.yaml`);
  await fs.writeFile(desired, yaml);
  const io = captureOutput();
  const code = await main(['--apply', '--desired', desired, '--root', root.dir], io);
  await fs.rm(desired);
  return { code, stdout: io.stdout };
}

describe('--apply text', () => {
  it('with only plan errors, says nothing could be changed instead of "already matches"', async () => {
    const r = await apply('version: 1\nresources:\n  - id: g\n    kind: group\n    group: nosuch\n    members: [root]\n');
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('No changes: the host already matches');
    expect(r.stdout).toContain('Nothing could be changed: 1 resource could not be planned (errors below).');
    expect(r.stdout).toMatch(/FAILED {2}g \(nosuch\)|FAILED {2}g/);
  });

  it('says "No changes" when the host matches and nothing failed', async () => {
    const r = await apply('version: 1\nresources:\n  - id: f\n    kind: file\n    path: /etc/x\n    content: "hi\\n"\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No changes: the host already matches the desired state.');
  });
});
