// The shadow tools' own lock on a group database, so an edit under --root
// never races groupadd, gpasswd or usermod working on the same root (a line
// they append between our read and our rename would be lost).
//
// Per file, as shadow's commonio does it: write our pid to <file>.<pid>, then
// link(2) it to <file>.lock; the link fails while another holder's lock is
// there. A lock whose pid is gone is stale and taken over, as the shadow
// tools do. Those tools take <file>.lock for every change to etc/group and
// etc/gshadow (after lckpwdf's /etc/.pwd.lock), so holding it keeps them out.
// We take /etc/.pwd.lock first too, as they do, which also keeps out tools
// that take only lckpwdf's lock.

import path from 'node:path';
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

/*
 * lckpwdf(3): an fcntl write lock on the whole of /etc/.pwd.lock, waited for
 * up to 15 s. Node has no fcntl, so a perl process (perl-base is Essential on
 * Debian and Ubuntu) takes it and holds it until we close its stdin; the lock
 * dies with it, so a crash of ours never leaves it held. struct flock is laid
 * out for 64-bit Linux (short, short, pad, off_t, off_t, pid_t, pad).
 */
const PWD_LOCK_SCRIPT = `
use Fcntl;
sysopen(my $fh, $ARGV[0], O_WRONLY | O_NOFOLLOW) or die "cannot open $ARGV[0]: $!\\n";
my @st = stat($fh);
local $SIG{ALRM} = sub { die "timed out after 15 s waiting for the lock\\n" };
alarm 15;
my $fl = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0);
fcntl($fh, F_SETLKW, $fl) or die "cannot lock: $!\\n";
alarm 0;
$| = 1;
print "locked $st[0] $st[1]\\n";
my $ignored = <STDIN>;
`;

async function holdPwdLock(host: Host): Promise<() => Promise<void>> {
  // Only an existing lock file: creating one would leave a trace in a root
  // we otherwise leave byte-identical, and a tool that creates it meanwhile
  // takes <file>.lock as well, which we hold.
  const st = await host.lstat('/etc/.pwd.lock');
  if (st === null) return async () => undefined;
  if (st.type !== 'file') throw new Error(`the root's /etc/.pwd.lock is a ${st.type}, not a regular file: remove it and run again`);
  const { execa } = await import('execa');
  const child = execa('perl', ['-e', PWD_LOCK_SCRIPT, path.join(host.root, 'etc/.pwd.lock')], { reject: false, stdin: 'pipe', env: { LC_ALL: 'C' } });
  const line = await new Promise<string | null>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    void child.then(() => resolve(null), () => resolve(null));
  });
  const release = async () => {
    child.stdin!.end();
    await child.catch(() => undefined);
  };
  // The file locked must be the one checked inside the root (device and inode).
  if (line === null || line !== `locked ${st.dev} ${st.ino}`) {
    await release();
    const res = await child.catch(() => null);
    const why = line ?? (String(res?.stderr ?? '').trim() || 'perl is not installed?');
    throw new UserError(
      `cannot take the shadow tools' lock on the root's /etc/.pwd.lock (lckpwdf): ${why}. Nothing was changed. ` +
        'Another tool (passwd, chpasswd, useradd) may hold it: wait for it to finish, then run again.',
    );
  }
  return release;
}

/** Runs `fn` holding <file>.lock for each file (in the order given, as groupadd locks group then gshadow). */
export async function withShadowLocks<T>(host: Host, files: string[], fn: () => Promise<T>): Promise<T> {
  const held: string[] = [];
  // On a live host the shadow tools themselves (gpasswd) do the locking.
  const releasePwd = host.live ? null : await holdPwdLock(host);
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
    await releasePwd?.();
  }
}
