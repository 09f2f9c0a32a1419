// Benchmark: the deploy kinds at ds01-infra's scale and beyond. A synthetic
// checkout (DIRS directories of FILES files, half of them scripts, owned by
// a non-root account) under one recursive `permissions` resource, plus LINKS
// symlinks in one compact `symlink` resource. Times plan (cold), apply and
// plan on the converged host. Prints figures.
//
//   npm run build && node dist/bench/deploy-kinds-scale.js [dirs] [files-per-dir] [links]

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyPlan } from '../src/apply/apply-plan.js';
import { RootedHost } from '../src/host/rooted-host.js';
import { validateDesiredStateText } from '../src/model/load.js';
import { buildPlan } from '../src/plan/build-plan.js';

const [dirs = 40, perDir = 25, links = 73] = process.argv.slice(2).map(Number);

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bench-'));
  await fs.mkdir(path.join(root, 'etc'), { recursive: true });
  await fs.writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ndeploy:x:1001:1001::/home/deploy:/bin/sh\n');
  await fs.writeFile(path.join(root, 'etc/group'), 'root:x:0:\ndeploy:x:1001:\ndocker:x:999:\n');
  const scripts = path.join(root, 'opt/infra/scripts');
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(scripts, `d${d}`);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    for (let f = 0; f < perDir; f++) {
      const p = path.join(dir, `f${f}`);
      await fs.writeFile(p, f % 2 === 0 ? '#!/bin/sh\necho hi\n' : 'data\n', { mode: 0o600 });
      if (process.getuid?.() === 0) await fs.chown(p, 1001, 1001);
    }
  }
  await fs.mkdir(path.join(root, 'usr/local/bin'), { recursive: true });
  let yaml = 'version: 1\nresources:\n';
  yaml += '  - {id: perms, kind: permissions, paths: [/opt/infra/scripts], recursive: true, fileMode: "0644", dirMode: "0755", executableScripts: true, group: docker}\n';
  yaml += '  - id: links\n    kind: symlink\n    dir: /usr/local/bin\n    links:\n';
  for (let i = 0; i < links; i++) yaml += `      cmd${i}: /opt/infra/scripts/d${i % dirs}/f0\n`;

  const t0 = performance.now();
  const resources = await validateDesiredStateText(yaml, 'bench.yaml');
  const host = new RootedHost(root);
  const t1 = performance.now();
  const plan = await buildPlan(host, resources);
  const t2 = performance.now();
  const result = await applyPlan(host, plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 0, desiredFiles: ['bench.yaml'] });
  const t3 = performance.now();
  const after = await buildPlan(host, resources);
  const t4 = performance.now();

  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  console.log(`tree: ${dirs} dirs x ${perDir} files (${dirs * perDir} files, half scripts), ${links} links`);
  console.log(`load+validate:    ${fmt(t1 - t0)}`);
  console.log(`plan (cold):      ${fmt(t2 - t1)}  ${plan.changes.length} changes`);
  console.log(`apply:            ${fmt(t3 - t2)}  ${result.counts.applied} applied, ${result.counts.failed} failed, ${result.counts.skipped} skipped`);
  console.log(`plan (converged): ${fmt(t4 - t3)}  ${after.changes.length} changes`);
  await fs.rm(root, { recursive: true, force: true });
}

await main();
