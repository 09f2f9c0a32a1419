// Applies one planned change through the shared applier (re-check, backup,
// operation, verify) and fails the test unless it was applied.

import { applyChange } from '../../src/apply/operations.js';
import type { Host } from '../../src/host/types.js';
import type { Change } from '../../src/plan/types.js';

export async function applyOperation(host: Host, change: Change, backupDir = '/var/lib/reconcile/backups/test-run'): Promise<void> {
  const outcome = await applyChange(host, change, backupDir);
  if (outcome.status !== 'applied') throw new Error(`change to ${change.target} ${outcome.status}: ${outcome.message}`);
}
