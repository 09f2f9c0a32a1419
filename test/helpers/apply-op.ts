// A stand-in for the shared applier (src/apply/operations.ts) in handler
// tests: does exactly what a Change's Operation says, nothing more.

import { changeGroupMembers } from '../../src/host/group-db.js';
import type { Host } from '../../src/host/types.js';
import type { Change } from '../../src/plan/types.js';

export async function applyOperation(host: Host, change: Change): Promise<void> {
  const op = change.op;
  switch (op.type) {
    case 'write-file':
      await host.writeFileAtomic(change.target, Buffer.from(op.contentBase64, 'base64'), {
        mode: op.mode,
        uid: op.uid,
        gid: op.gid,
      });
      return;
    case 'set-attributes': {
      const st = await host.lstat(change.target);
      if (st === null) throw new Error(`${change.target} vanished`);
      if (op.uid !== undefined || op.gid !== undefined) {
        await host.lchown(change.target, op.uid ?? st.uid, op.gid ?? st.gid);
      }
      // After chown, which clears setuid/setgid bits.
      if (op.mode !== undefined) await host.chmod(change.target, op.mode);
      return;
    }
    case 'group-members':
      await changeGroupMembers(host, change.target, op.add, op.remove);
      return;
    default:
      throw new Error(`test applier does not do ${op.type}`);
  }
}
