// The shadow tools' own lock on a group database, so an edit under --root
// never races groupadd, gpasswd or usermod working on the same root (a line
// they append between our read and our rename would be lost).
//
// Per file, as shadow's commonio does it: write our pid to <file>.<pid>, then
// link(2) it to <file>.lock; the link fails while another holder's lock is
// there. A lock whose pid is gone is stale and taken over, as the shadow
// tools do. Those tools take <file>.lock for every change to etc/group and
// etc/gshadow (after lckpwdf's /etc/.pwd.lock), so holding it keeps them out.

import { UserError } from '../errors.js';
import type { Host } from './types.js';

/** shadow retries 15 times a second apart; so do we. */
const LOCK_TRIES = 15;
const LOCK_SLEEP_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kill(pid, 0), as shadow checks a lock's holder: EPERM still means it exists. */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryLock(host: Host, file: string): Promise<boolean> {
  const lock = `${file}.lock`;
  // No newline: shadow parses the whole content as the pid.
  if (await host.createExclusive(lock, String(process.pid), 0o600)) return true;
  const holder = Number((await host.readText(lock))?.trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processExists(holder)) return false;
  // Stale (its process is gone) or unreadable: take it over, as lock_file() does.
  await host.unlink(lock).catch(() => undefined);
  return host.createExclusive(lock, String(process.pid), 0o600);
}

/** Runs `fn` holding <file>.lock for each file (in the order given, as groupadd locks group then gshadow). */
export async function withShadowLocks<T>(host: Host, files: string[], fn: () => Promise<T>): Promise<T> {
  const held: string[] = [];
  try {
    for (const file of files) {
      let locked = false;
      for (let i = 0; i < LOCK_TRIES && !locked; i++) {
        locked = await tryLock(host, file);
        if (!locked && i < LOCK_TRIES - 1) await sleep(LOCK_SLEEP_MS);
      }
      if (!locked) {
        const holder = ((await host.readText(`${file}.lock`)) ?? '').trim();
        throw new UserError(
          `cannot lock the root's ${file}: ${file}.lock is held by process ${holder || '(unknown)'} (groupadd, gpasswd, usermod or vigr at work?). ` +
            'Nothing was changed. Wait for it to finish, then run again; remove the lock file only if that process is gone.',
        );
      }
      held.push(file);
    }
    return await fn();
  } finally {
    for (const file of held.reverse()) await host.unlink(`${file}.lock`).catch(() => undefined);
  }
}
