// The start time of a process on the running machine, so a pid that the kernel
// has reused for another process is not mistaken for the one that took a lock.
// Pids belong to the running machine, never to --root: this reads the real /proc.

import { promises as fs } from 'node:fs';

/**
 * Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22);
 * null when the process does not exist or /proc cannot tell (not Linux, hidepid).
 */
export async function processStartTime(pid: number): Promise<number | null> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (comm) is in parentheses and may itself hold spaces and ')':
  // the fields after the last ')' start at field 3.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const field = text.slice(close + 1).trim().split(/\s+/)[22 - 3];
  if (field === undefined || !/^\d+$/.test(field)) return null;
  const ticks = Number(field);
  return Number.isSafeInteger(ticks) ? ticks : null;
}
