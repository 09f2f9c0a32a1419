// One apply converges a directory listed after a file inside it (the DS01
// deploy, issue 12): the directory is made first, with its mode and group.
// (A service whose unit file the same apply installs: service-package.test.ts.)

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';
import { captureOutput } from '../safety/snapshot.js';

let root: TempRoot;
let desired: string;
beforeEach(async () => {
  root = await makeRoot({ 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n', 'etc/group': 'root:x:0:\ndocker:x:1000:\n' });
  desired = path.join(root.dir, '..', `${path.basename(root.dir)}.yaml`);
});
afterEach(async () => {
  await fs.rm(desired, { force: true });
  await root.cleanup();
});

async function apply(resources: string) {
  await fs.writeFile(desired, `version: 1\nresources:\n${resources}`);
  const io = captureOutput();
  const code = await main(['--apply', '--format', 'json', '--desired', desired, '--root', root.dir], io);
  return { code, result: JSON.parse(io.stdout) as { outcomes: { target: string; status: string }[]; errors: unknown[] } };
}

const STAMP_THEN_DIR = [
  '  - id: stamp\n    kind: file\n    path: /var/lib/ds01/stamp\n    content: "1\\n"\n',
  '  - id: state-dir\n    kind: directory\n    path: /var/lib/ds01\n    mode: "0775"\n    owner: root\n    group: docker\n',
].join('');

describe('one apply, resources that depend on each other', () => {
  it('makes a directory with its mode and group before a file listed earlier inside it', async () => {
    const first = await apply(STAMP_THEN_DIR);
    expect({ code: first.code, problems: first.result.outcomes.filter((o) => o.status !== 'applied') }).toEqual({ code: 0, problems: [] });
    const st = await fs.stat(root.path('/var/lib/ds01'));
    expect({ mode: (st.mode & 0o7777).toString(8), gid: st.gid }).toEqual({ mode: '775', gid: 1000 });
    expect((await apply(STAMP_THEN_DIR)).result.outcomes).toEqual([]);
  });
});
