// Benchmark: backing up (absent, allowDirectories) and rolling back a large
// sparse file. Prints the time, the peak RSS of this process (the apply and
// rollback run in it) and the disk the backup copy takes. Before streaming
// copies, a 600 MB sparse file made a 601 MB dense backup and 680 MB of memory.
//
//   npm run build && node dist/bench/backup-sparse.js [megabytes]

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { main as reconcile } from '../src/cli/main.js';

const [megabytes = 600] = process.argv.slice(2).map(Number);
const MiB = 1024 * 1024;

const quiet = { out: () => undefined, err: (s: string) => void process.stderr.write(s), isTTY: false };
const rssMiB = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bench-sparse-'));
  const desired = `${root}.yaml`;
  try {
    await fs.mkdir(path.join(root, 'var/cache/big'), { recursive: true });
    await fs.mkdir(path.join(root, 'var/lib'), { recursive: true });
    const data = path.join(root, 'var/cache/big/data.img');
    const handle = await fs.open(data, 'w', 0o640);
    await handle.truncate(megabytes * MiB);
    await handle.write(Buffer.alloc(64 * 1024, 1), 0, 64 * 1024, Math.floor(megabytes / 2) * MiB);
    await handle.close();
    await fs.writeFile(desired, 'version: 1\nresources:\n  - {id: big, kind: absent, paths: [/var/cache/big], allowDirectories: true}\n');
    console.log(`sparse file: ${megabytes} MiB, ${(((await fs.stat(data)).blocks * 512) / 1024).toFixed(0)} KiB allocated; peak RSS before: ${rssMiB()} MiB`);

    let t = performance.now();
    if ((await reconcile(['--apply', '--desired', desired, '--root', root], quiet)) !== 0) throw new Error('apply failed');
    const applyMs = performance.now() - t;
    const runs = await fs.readdir(path.join(root, 'var/lib/reconcile/backups'));
    const copy = path.join(root, 'var/lib/reconcile/backups', runs[0]!, 'var/cache/big/data.img');
    const cst = await fs.stat(copy);
    console.log(`apply:    ${applyMs.toFixed(0)} ms; backup copy ${(cst.size / MiB).toFixed(0)} MiB, ${((cst.blocks * 512) / 1024).toFixed(0)} KiB allocated; peak RSS ${rssMiB()} MiB`);

    t = performance.now();
    if ((await reconcile(['--rollback', '--root', root], quiet)) !== 0) throw new Error('rollback failed');
    const back = await fs.stat(data);
    console.log(`rollback: ${(performance.now() - t).toFixed(0)} ms; restored ${((back.blocks * 512) / 1024).toFixed(0)} KiB allocated; peak RSS ${rssMiB()} MiB`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(desired, { force: true });
  }
}

await main();
