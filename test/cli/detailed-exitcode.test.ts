// --apply --detailed-exitcode: 0 nothing needed changing, 2 changes applied
// and converged, 1 any failure. Fleet tools (Ansible's changed_when) read it.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { captureOutput } from '../safety/snapshot.js';

let root: TempRoot;
let desired: string;
beforeEach(async () => {
  root = await makeRoot({ 'etc/group': 'root:x:0:\n', 'etc/x': 'old\n' });
  desired = path.join(root.dir, '..', `${path.basename(root.dir)}.yaml`);
});
afterEach(async () => {
  await fs.rm(desired, { force: true });
  await root.cleanup();
});

const FILE_X = '  - id: f\n    kind: file\n    path: /etc/x\n    content: "new\\n"\n';
const MISSING_GROUP = '  - id: g\n    kind: group\n    group: nosuch\n    members: [root]\n';

async function apply(resources: string, extra: string[] = ['--detailed-exitcode']) {
  await fs.writeFile(desired, `version: 1\nresources:\n${resources}`);
  const io = captureOutput();
  const code = await main(['--apply', '--desired', desired, '--root', root.dir, ...extra], io);
  return { code, stdout: io.stdout };
}

describe('--apply --detailed-exitcode', () => {
  it('exits 2 when it changed something and the host converged, then 0 when nothing is left to change', async () => {
    expect((await apply(FILE_X)).code).toBe(2);
    expect(await fs.readFile(root.path('/etc/x'), 'utf8')).toBe('new\n');
    expect((await apply(FILE_X)).code).toBe(0);
  });

  it('exits 1 when anything failed, even though other changes were applied', async () => {
    const r = await apply(FILE_X + MISSING_GROUP);
    expect(r.code).toBe(1);
    expect(await fs.readFile(root.path('/etc/x'), 'utf8')).toBe('new\n');
  });

  it('leaves the plain --apply contract alone: 0 after applying changes', async () => {
    expect((await apply(FILE_X, [])).code).toBe(0);
  });

  it('is refused by the other modes', async () => {
    const io = captureOutput();
    expect(await main(['--plan', '--detailed-exitcode'], io)).toBe(1);
    expect(io.stderr).toContain('--detailed-exitcode does not apply to --plan: only --apply takes it');
  });
});
