// Layout of the state directory (inside the root, default /var/lib/reconcile).

import path from 'node:path';

export const DEFAULT_STATE_DIR = '/var/lib/reconcile';

export interface StateLayout {
  dir: string;
  lock: string;
  backups(runId: string): string;
  run(runId: string): string;
  journal(runId: string): string;
  runs: string;
}

export function stateLayout(dir: string): StateLayout {
  return {
    dir,
    lock: path.posix.join(dir, 'lock'),
    backups: (runId) => path.posix.join(dir, 'backups', runId),
    runs: path.posix.join(dir, 'runs'),
    run: (runId) => path.posix.join(dir, 'runs', runId),
    journal: (runId) => path.posix.join(dir, 'runs', runId, 'journal.jsonl'),
  };
}
