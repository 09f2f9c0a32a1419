// Streamed copies that keep holes. Backups of a 600 MB sparse file must not
// become 600 MB of disk (or of memory): bytes move in fixed-size chunks, and
// an all-zero block is not written, so the copy gets a hole there (the final
// ftruncate sets the size). Node's fs has no SEEK_DATA/SEEK_HOLE; reading a
// hole costs the kernel a zero-fill, not the disk. The sha256 is computed on
// the way, so a copy never needs a second read to be vouched for.

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const CHUNK = 1024 * 1024;
/** The granularity of holes: a filesystem block. */
const BLOCK = 4096;
const ZEROS = Buffer.alloc(BLOCK);
const ZERO_CHUNK = Buffer.alloc(CHUNK);

export interface CopyDigest {
  size: number;
  sha256: string;
}

/** Whether errors come from reading the source or writing the copy: they name different paths. */
export class CopyReadError extends Error {
  constructor(readonly cause: unknown) {
    super((cause as Error).message);
  }
}

async function readChunk(src: FileHandle, buf: Buffer, position: number): Promise<number> {
  try {
    return (await src.read(buf, 0, buf.length, position)).bytesRead;
  } catch (err) {
    throw new CopyReadError(err);
  }
}

/** Writes the non-zero runs of `chunk` at `offset`; zero blocks stay holes. */
async function writeNonZero(dst: FileHandle, chunk: Buffer, offset: number): Promise<void> {
  // Most of a sparse file: one memcmp for the whole chunk.
  if (chunk.length === CHUNK && chunk.equals(ZERO_CHUNK)) return;
  let runStart = -1;
  for (let at = 0; at < chunk.length; at += BLOCK) {
    const end = Math.min(at + BLOCK, chunk.length);
    const zero = chunk.subarray(at, end).equals(ZEROS.subarray(0, end - at));
    if (!zero && runStart < 0) runStart = at;
    if (zero && runStart >= 0) {
      await dst.write(chunk, runStart, at - runStart, offset + runStart);
      runStart = -1;
    }
  }
  if (runStart >= 0) await dst.write(chunk, runStart, chunk.length - runStart, offset + runStart);
}

/** Reads all of `src` in chunks, hashing on the way; `each` sees every chunk at its offset. */
async function streamed(src: FileHandle, each: (chunk: Buffer, offset: number) => Promise<void> | void): Promise<CopyDigest> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  for (;;) {
    const n = await readChunk(src, buf, size);
    if (n === 0) break;
    const chunk = buf.subarray(0, n);
    hash.update(chunk);
    await each(chunk, size);
    size += n;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Copies all of `src` into the empty file `dst`, streamed, keeping holes; returns its size and sha256. */
export async function copySparse(src: FileHandle, dst: FileHandle): Promise<CopyDigest> {
  const digest = await streamed(src, (chunk, offset) => writeNonZero(dst, chunk, offset));
  // Sets the length, so trailing zero blocks are a hole too.
  await dst.truncate(digest.size);
  return digest;
}

/** The size and sha256 of an open file, streamed. */
export function digestOf(src: FileHandle): Promise<CopyDigest> {
  return streamed(src, () => undefined);
}
