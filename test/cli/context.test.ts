// openHost canonicalises --root: a symlink to / is the live host (gpasswd and
// no chroot), and a symlink to an image directory is that directory.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from '../../src/cli/args.js';
import { openHost } from '../../src/cli/context.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-ctx-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('openHost', () => {
  it('treats a --root that is a symlink to / as the live host', async () => {
    const link = path.join(dir, 'rootlink');
    await fs.symlink('/', link);
    const host = await openHost(parseArgs(['--plan', '--root', link]));
    expect(host.live).toBe(true);
    expect(host.root).toBe('/');
  });

  it('resolves a symlinked image root to its real directory, not live', async () => {
    const image = path.join(dir, 'image');
    await fs.mkdir(image);
    const link = path.join(dir, 'imagelink');
    await fs.symlink(image, link);
    const host = await openHost(parseArgs(['--plan', '--root', `${link}/`]));
    expect(host.live).toBe(false);
    expect(host.root).toBe(await fs.realpath(image));
  });

  it('refuses a --root that is not a directory', async () => {
    await expect(openHost(parseArgs(['--plan', '--root', path.join(dir, 'missing')]))).rejects.toThrow(/is not a directory/);
  });
});
