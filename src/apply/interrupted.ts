// A run killed mid-way (kill -9, power loss) leaves a journal with no end.
// The next apply or rollback reports it once, and removes the temp files
// the dead process may have left beside the targets it was changing.

import path from 'node:path';
import type { Host } from '../host/types.js';
import { listRuns, type RunRecord } from './history.js';
import type { JournalEntry } from './journal.js';
import { stateLayout } from './state-dir.js';

/**
 * Temp names RootedHost uses for atomic writes: .<name>.reconcile-<pid>-<hex>.tmp;
 * and a tree of ours that a later cleanup renamed away again before it too
 * was killed: ..<name>.reconcile-<pid>-<hex>.tmp.reconcile-<pid2>-<hex>.tmp.
 */
export function isTempNameOf(name: string, pid: number): boolean {
  return new RegExp(`^\\..*\\.reconcile-${pid}-[0-9a-f]{8}\\.tmp(\\.reconcile-\\d+-[0-9a-f]{8}\\.tmp)*$`).test(name);
}

/** Directories where a run's process may have left temp files. */
function dirsTouchedBy(run: RunRecord): string[] {
  const dirs = new Set<string>();
  for (const step of run.steps) {
    const op = step.change.op;
    if (op.type === 'group-members') {
      dirs.add('/etc');
      continue;
    }
    // systemctl and apt-get leave no temp files of ours.
    if (op.type === 'service' || op.type === 'install-packages') continue;
    dirs.add(path.posix.dirname(step.change.target));
    if (op.type === 'rename-over') dirs.add(path.posix.dirname(op.from));
  }
  return [...dirs];
}

async function removeTempsIn(host: Host, dir: string, pid: number, recursive: boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await host.readdir(dir)) {
    const p = path.posix.join(dir, name);
    const st = await host.lstat(p);
    if (st === null) continue;
    if (st.type === 'dir' && isTempNameOf(name, pid)) {
      // A tree the dead run had already renamed away to remove it.
      await host.removeTree(p);
      removed.push(p);
    } else if (st.type === 'dir' && recursive) {
      removed.push(...(await removeTempsIn(host, p, pid, true)));
    } else if ((st.type === 'file' || st.type === 'symlink') && isTempNameOf(name, pid)) {
      await host.unlink(p);
      removed.push(p);
    }
  }
  return removed;
}

/** Removes the temp files a dead run left; returns their paths. Never touches anything else. */
export async function cleanUpAfter(host: Host, stateDir: string, run: RunRecord): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of dirsTouchedBy(run)) {
    // A directory the run could not reach (refused, gone) has nothing of ours.
    removed.push(...(await removeTempsIn(host, dir, run.pid, false).catch(() => [])));
  }
  removed.push(...(await removeTempsIn(host, stateLayout(stateDir).backups(run.runId), run.pid, true).catch(() => [])));
  removed.push(...(await removeShadowLocksOf(host, run.pid)));
  return removed;
}

/**
 * The shadow tools' <file>.lock a killed run held while it edited etc/group
 * or etc/gshadow under --root: it holds the dead run's pid. groupadd would
 * take it over, but it is ours to remove, so the root is left as it was.
 */
async function removeShadowLocksOf(host: Host, pid: number): Promise<string[]> {
  const removed: string[] = [];
  for (const lock of ['/etc/group.lock', '/etc/gshadow.lock']) {
    const st = await host.lstat(lock).catch(() => null);
    if (st?.type !== 'file' || st.size > 32) continue;
    const holder = (await host.readText(lock).catch(() => null))?.trim();
    if (holder !== String(pid)) continue;
    await host.unlink(lock).catch(() => undefined);
    removed.push(lock);
  }
  return removed;
}

export function describeInterrupted(run: RunRecord): string {
  const begun = run.steps.filter((s) => s.status === 'interrupted').map((s) => s.change.target);
  const done = run.steps.filter((s) => s.status !== 'interrupted').length;
  const where = begun.length > 0 ? `; it was changing ${begun.join(', ')}` : '';
  return (
    `the previous ${run.operation} run ${run.runId} (started ${run.time} by ${run.user}, pid ${run.pid}) was interrupted ` +
    `after finishing ${done} change${done === 1 ? '' : 's'}${where}. Each target is either as it was or as intended. ` +
    `See reconcile --history; reconcile --rollback ${run.runId} undoes it.`
  );
}

/**
 * Finds interrupted runs not yet reported, marks them reported (a "noticed"
 * entry in their journal), cleans up their temp files, and returns one
 * warning line per run.
 */
export async function noticeInterruptedRuns(host: Host, stateDir: string, currentRunId: string): Promise<string[]> {
  if ((await host.lstat(stateLayout(stateDir).runs)) === null) return [];
  const warnings: string[] = [];
  for (const run of await listRuns(host, stateDir)) {
    if (run.runId === currentRunId || run.outcome !== 'interrupted' || run.noticedBy !== undefined) continue;
    await cleanUpAfter(host, stateDir, run);
    const file = stateLayout(stateDir).journal(run.runId);
    const text = (await host.readText(file)) ?? '';
    const entry: JournalEntry = { type: 'noticed', time: new Date().toISOString(), by: currentRunId };
    // A line torn by the crash must not swallow this one.
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    await host.appendFileSync(file, sep + JSON.stringify(entry) + '\n', 0o600);
    warnings.push(describeInterrupted(run));
  }
  return warnings;
}
