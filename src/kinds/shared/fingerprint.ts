// Fingerprints record what a target looked like when probed, so apply can
// refuse to act when it changed in between. Shared by every handler.

import type { FileStat } from '../../host/types.js';
import type { Fingerprint } from '../../plan/types.js';

export function fingerprintOf(stat: FileStat | null): Fingerprint {
  if (stat === null) return { type: 'absent' };
  return {
    type: 'path',
    fileType: stat.type,
    dev: stat.dev,
    ino: stat.ino,
    mode: stat.mode,
    uid: stat.uid,
    gid: stat.gid,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
  };
}

/** Permission bits as four octal digits: 0o666 -> "0666", 0o1777 -> "1777". */
export function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
