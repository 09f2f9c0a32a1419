import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/errors.js';
import { decodeUtf8Strict, firstInvalidUtf8 } from '../../src/host/strict-utf8.js';
import { loadDesiredState } from '../../src/model/load.js';

describe('firstInvalidUtf8', () => {
  it('accepts ASCII, 2-, 3- and 4-byte sequences', () => {
    expect(firstInvalidUtf8(Buffer.from('a é € 😀', 'utf8'))).toBe(-1);
  });
  it.each([
    ['a Latin-1 byte', Buffer.from([0x61, 0xe9, 0x62]), 1],
    ['a lone continuation byte', Buffer.from([0x61, 0x80]), 1],
    ['a truncated sequence at the end', Buffer.from([0x61, 0xe2, 0x82]), 1],
    ['an overlong "/" (0xc0 0xaf)', Buffer.from([0xc0, 0xaf]), 0],
    ['an overlong 3-byte form', Buffer.from([0xe0, 0x80, 0xaf]), 0],
    ['a UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80]), 0],
    ['a code point past U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80]), 0],
  ])('finds %s', (_what, buf, at) => {
    expect(firstInvalidUtf8(buf)).toBe(at);
  });
});

describe('decodeUtf8Strict', () => {
  it('names line and column of the bad byte', () => {
    const buf = Buffer.concat([Buffer.from('version: 1\npaths: [/etc/caf'), Buffer.from([0xe9]), Buffer.from('.conf]\n')]);
    expect(() => decodeUtf8Strict(buf, 'ds.yaml')).toThrow(/^ds\.yaml:2:17: byte 0xe9 is not UTF-8.* Fix: save the file as UTF-8/);
  });
  it('drops a leading byte-order mark', () => {
    expect(decodeUtf8Strict(Buffer.from('\ufeffversion: 1\n', 'utf8'), 'f')).toBe('version: 1\n');
  });
});

describe('desired state that is not UTF-8', () => {
  it('is refused at load, located, instead of becoming U+FFFD in a path', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'reconcile-utf8-'));
    try {
      const file = path.join(dir, 'ds.yaml');
      const head = 'version: 1\nresources:\n  - id: gone\n    kind: absent\n    paths: [/etc/caf';
      await writeFile(file, Buffer.concat([Buffer.from(head), Buffer.from([0xe9]), Buffer.from('.conf]\n')]));
      const err = await loadDesiredState(file).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toMatch(new RegExp(`^${file}:5:21: byte 0xe9 is not UTF-8`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
