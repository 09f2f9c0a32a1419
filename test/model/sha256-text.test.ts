// The load cache's own SHA-256 must be SHA-256: checked against node:crypto
// on the standard vectors, every length around the block boundaries, and
// random text (ASCII, multi-byte UTF-8, lone surrogates as Buffer encodes them).

import { createHash } from 'node:crypto';
import { JS_LIMIT, sha256Js, sha256Text } from '../../src/model/sha256-text.js';

const nodeSha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256Text', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Text('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Text('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('agrees with node:crypto at every length from 0 to 300 bytes (padding spills into a second block at 56)', () => {
    for (let n = 0; n <= 300; n++) {
      const text = 'x'.repeat(n);
      expect({ n, sha: sha256Text(text) }).toEqual({ n, sha: nodeSha(text) });
    }
  });

  it('agrees with node:crypto on random text, multi-byte characters included', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const alphabet = ['a', 'Z', '0', '\n', ' ', 'é', 'ß', '€', '中', '😀', '\u0000', '\ud800'];
    for (let i = 0; i < 200; i++) {
      let text = '';
      const len = rand() % 3000;
      for (let j = 0; j < len; j++) text += alphabet[rand() % alphabet.length];
      expect(sha256Text(text)).toBe(nodeSha(text));
    }
  });

  it('gives the same digest on both sides of the size where it hands over to node:crypto', () => {
    for (const n of [JS_LIMIT - 1, JS_LIMIT, JS_LIMIT + 1, 3 * JS_LIMIT]) {
      const text = 'é'.repeat(n >> 1) + 'a'.repeat(n - (n >> 1));
      expect({ n, js: sha256Js(text), chosen: sha256Text(text) }).toEqual({ n, js: nodeSha(text), chosen: nodeSha(text) });
    }
  });
});
