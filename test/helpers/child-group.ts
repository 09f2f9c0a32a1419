// Child processes that never outlive their test. Each child is started as the
// leader of its own process group (detached), so whatever it starts in turn
// (a shell's background job, a tool the CLI runs) can be killed with it.
// stopAll() kills every group and returns only once each group is empty: a
// temp root removed before that can still be written to (ENOTEMPTY on rmdir),
// and an execa child that exits after its test file's environment is torn
// down breaks the next file in that jest worker.

import { execa, type Options, type ResultPromise } from 'execa';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while any process of group `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    // EPERM: the group exists but is not ours to signal: still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGKILLs the whole group and waits until no process of it is left. */
export async function killGroup(pgid: number): Promise<void> {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: already gone.
  }
  // Killed processes leave the group once the kernel has torn them down
  // (and, for the leader, once execa has reaped it): no fixed wait.
  while (groupAlive(pgid)) await sleep(5);
}

export class ChildGroup {
  private readonly live = new Set<ResultPromise>();

  /** Starts `file args` in a new process group; `await` it like any execa child. */
  start(file: string, args: readonly string[], options: Options = {}): ResultPromise {
    const child = execa(file, args, { reject: false, stdin: 'ignore', ...options, detached: true });
    this.live.add(child);
    // The leader is reaped by execa; anything it left behind is killed with the group.
    void child.then(
      () => this.settle(child),
      () => this.settle(child),
    );
    return child;
  }

  private async settle(child: ResultPromise): Promise<void> {
    if (child.pid !== undefined) await killGroup(child.pid);
    this.live.delete(child);
  }

  /** Number of children whose process group is not yet gone. */
  get size(): number {
    return this.live.size;
  }

  /** Kills every child's process group and waits until all are gone. */
  async stopAll(): Promise<void> {
    const children = [...this.live];
    await Promise.all(children.map((c) => (c.pid === undefined ? undefined : killGroup(c.pid))));
    await Promise.all(children.map((c) => c.catch(() => undefined)));
    for (const c of children) this.live.delete(c);
  }
}
