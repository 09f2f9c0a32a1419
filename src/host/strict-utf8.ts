// The operator's input must be UTF-8. Node's 'utf8' decoding turns a bad
// byte into U+FFFD silently, and a path with U+FFFD in it names a file that
// does not exist: refuse the file instead, pointing at the first bad byte.

import { isUtf8 } from 'node:buffer';
import { UserError } from '../errors.js';

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  // Node's native check answers for valid input (nearly all of it); the loop
  // below only finds where invalid input goes wrong. It would otherwise run
  // over every byte read, hot enough that the optimising compiler's job on it
  // outlived a short run, which then waited for it before exiting.
  if (isUtf8(buf)) return -1;
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** Decode strictly; a byte that is not UTF-8 is a located error. A leading BOM is dropped. */
export function decodeUtf8Strict(buf: Buffer, file: string): string {
  const bad = firstInvalidUtf8(buf);
  if (bad >= 0) {
    const before = buf.subarray(0, bad);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < before.length; i++) {
      if (before[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const column = before.subarray(lineStart).toString('utf8').length + 1;
    const hex = buf[bad]!.toString(16).padStart(2, '0');
    throw new UserError(
      `${file}:${line}:${column}: byte 0x${hex} is not UTF-8, and reconcile reads its input as UTF-8 only ` +
        '(a path or member name with an undecodable byte would name something else). ' +
        `Fix: save the file as UTF-8 (for example \`iconv -f latin1 -t utf-8\`).`,
      { file, line, column },
    );
  }
  const text = buf.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
