// A system error that reaches the CLI without passing through the Host (a
// full disk, a read-only mount, a denied permission) is one sentence naming
// the path and the cause, never "internal error ... This is a bug".

import { promises as fs } from 'node:fs';
import { environmentalMessage } from '../../src/errors.js';

describe('environmentalMessage', () => {
  it('names the system call, the path and the cause of a real errno error', async () => {
    // sysfs refuses new files, even to root: a real EACCES.
    const err = await fs.open('/sys/reconcile-test-file', 'w').then(
      () => null,
      (e: unknown) => e,
    );
    if (err === null || (err as NodeJS.ErrnoException).code !== 'EACCES') {
      console.log(`skipped: /sys did not refuse with EACCES here (${String(err)})`);
      return;
    }
    expect(environmentalMessage(err)).toBe(
      'cannot open /sys/reconcile-test-file: permission denied (EACCES). Fix the cause (free space, remount read-write, permissions) and run the command again.',
    );
  });

  it('leaves other errors alone (they are bugs, and said so)', () => {
    expect(environmentalMessage(new TypeError('x is undefined'))).toBeNull();
    expect(environmentalMessage(Object.assign(new Error('gone'), { code: 'ENOENT', path: '/x' }))).toBeNull();
    expect(environmentalMessage(Object.assign(new Error('full'), { code: 'ENOSPC', syscall: 'write' }))).toBe(
      'cannot write: no space left on device (ENOSPC). Fix the cause (free space, remount read-write, permissions) and run the command again.',
    );
  });
});
