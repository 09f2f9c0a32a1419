// The desired state's digest (src/model/desired-digest.ts): by name, type and
// content, as reconcile(8) defines it, so a deploy tool can compute it alone.

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { desiredDigest } from '../../src/model/desired-digest.js';
import { UserError } from '../../src/errors.js';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-digest-'));
  await fs.mkdir(path.join(dir, 'ds'));
  await fs.mkdir(path.join(dir, 'ds/sources'));
  await fs.writeFile(path.join(dir, 'ds/ds01.yaml'), 'version: 1\nresources: []\n');
  await fs.writeFile(path.join(dir, 'ds/sources/wrapper.sh'), '#!/bin/sh\n');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('desiredDigest', () => {
  it('is sha256 over one record per entry, in byte order of the path, as reconcile(8) says', () => {
    const records = [
      'd - .\0',
      `f ${sha('version: 1\nresources: []\n')} ds01.yaml\0`,
      'd - sources\0',
      `f ${sha('#!/bin/sh\n')} sources/wrapper.sh\0`,
    ];
    expect(desiredDigest(path.join(dir, 'ds'))).toBe(`sha256:${sha(records.join(''))}`);
    expect(desiredDigest(path.join(dir, 'ds/ds01.yaml'))).toBe(`sha256:${sha(`f ${sha('version: 1\nresources: []\n')} .\0`)}`);
  });

  it('changes with a byte, a name, a new file (dotfiles too), a symlink; not with a mode', async () => {
    const ds = path.join(dir, 'ds');
    const seen = new Set([desiredDigest(ds)]);
    const differs = async (change: () => Promise<void>) => {
      await change();
      const d = desiredDigest(ds);
      expect(seen.has(d)).toBe(false);
      seen.add(d);
    };
    await differs(() => fs.writeFile(path.join(ds, 'ds01.yaml'), 'version: 1\nresources: [] \n'));
    await differs(() => fs.rename(path.join(ds, 'sources/wrapper.sh'), path.join(ds, 'sources/wrapper2.sh')));
    await differs(() => fs.writeFile(path.join(ds, '.marker'), ''));
    await differs(() => fs.mkdir(path.join(ds, 'empty')));
    await differs(() => fs.symlink('/etc/passwd', path.join(ds, 'link')));
    await differs(async () => {
      await fs.rm(path.join(ds, 'link'));
      await fs.symlink('/etc/group', path.join(ds, 'link'));
    });
    const before = desiredDigest(ds);
    await fs.chmod(path.join(ds, 'ds01.yaml'), 0o600);
    await fs.chmod(path.join(ds, 'sources'), 0o700);
    expect(desiredDigest(ds)).toBe(before);
  });

  it('follows a symlink given as the path, never one below it', async () => {
    const ds = path.join(dir, 'ds');
    await fs.symlink(ds, path.join(dir, 'current'));
    expect(desiredDigest(path.join(dir, 'current'))).toBe(desiredDigest(ds));
    await fs.symlink(path.join(ds, 'sources'), path.join(ds, 'more'));
    const linked = desiredDigest(ds);
    await fs.rm(path.join(ds, 'more'));
    await fs.cp(path.join(ds, 'sources'), path.join(ds, 'more'), { recursive: true });
    expect(desiredDigest(ds)).not.toBe(linked);
  });

  it('reads a name that is not UTF-8 as the bytes it is', async () => {
    const ds = path.join(dir, 'ds');
    const name = Buffer.from([0x66, 0xff, 0x2e, 0x79]);
    await fs.writeFile(Buffer.concat([Buffer.from(ds + '/'), name]), 'x');
    const records = [
      'd - .\0',
      `f ${sha('version: 1\nresources: []\n')} ds01.yaml\0`,
      Buffer.concat([Buffer.from(`f ${sha('x')} `), name, Buffer.from([0])]),
      'd - sources\0',
      `f ${sha('#!/bin/sh\n')} sources/wrapper.sh\0`,
    ].map((r) => (typeof r === 'string' ? Buffer.from(r) : r));
    expect(desiredDigest(ds)).toBe(`sha256:${sha(Buffer.concat(records))}`);
  });

  it('says what it cannot read', () => {
    expect(() => desiredDigest(path.join(dir, 'missing'))).toThrow(UserError);
    expect(() => desiredDigest(path.join(dir, 'missing'))).toThrow(/cannot read the desired state at .*missing for its digest \(ENOENT/);
  });
});
