// Benchmark: plan and apply time as the host grows. Builds a synthetic root
// with many docker users, device nodes and managed files, then times
// --plan (cold), --apply, and --plan on the converged host. Prints figures.
//
//   npm run build && node dist/bench/plan-scale.js [users] [devices] [files]

import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildPlan } from '../src/plan/build-plan.js';
import { applyPlan } from '../src/apply/apply-plan.js';
import { RootedHost } from '../src/host/rooted-host.js';
import { validateDesiredStateText } from '../src/model/load.js';

const [users = 2000, devices = 64, files = 200] = process.argv.slice(2).map(Number);

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-bench-'));
  const names = Array.from({ length: users }, (_, i) => `user${i}@example.lan`);
  await fs.mkdir(path.join(root, 'etc'), { recursive: true });
  await fs.writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await fs.writeFile(path.join(root, 'etc/group'), `root:x:0:\nvideo:x:44:\ndocker:x:999:${names.join(',')}\n`);
  await fs.writeFile(path.join(root, 'etc/gshadow'), `root:*::\nvideo:*::\ndocker:!::${names.join(',')}\n`);
  await fs.mkdir(path.join(root, 'dev'));
  const canMknod = process.getuid?.() === 0;
  for (let i = 0; i < devices; i++) {
    const p = path.join(root, `dev/nvidia${i}`);
    if (canMknod) execFileSync('mknod', ['-m', '0660', p, 'c', '195', String(i)]);
    else await fs.writeFile(p, '');
  }
  await fs.mkdir(path.join(root, 'etc/managed'));
  let yaml = 'version: 1\nresources:\n';
  yaml += '  - {id: video, kind: group, group: video, include: [docker]}\n';
  yaml += '  - {id: devs, kind: device-mode, paths: ["/dev/nvidia[0-9]*"], mode: "0666", owner: root, group: root}\n';
  yaml += '  - {id: env, kind: profile-env, path: /etc/profile.d/x.sh, env: {CUDA_VISIBLE_DEVICES: ""}, exempt: {users: [a], grantDir: /var/lib/g}}\n';
  for (let i = 0; i < files; i++) {
    yaml += `  - {id: f${i}, kind: file, path: /etc/managed/f${i}.conf, content: "line ${i}\\n", mode: "0644"}\n`;
  }
  await fs.mkdir(path.join(root, 'etc/profile.d'));

  const t0 = performance.now();
  const resources = await validateDesiredStateText(yaml, 'bench.yaml');
  const t1 = performance.now();
  const host = new RootedHost(root);
  const plan = await buildPlan(host, resources);
  const t2 = performance.now();
  const result = await applyPlan(host, plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 0, desiredFiles: ['bench.yaml'] });
  const t3 = performance.now();
  const after = await buildPlan(host, resources);
  const t4 = performance.now();

  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  console.log(`host: ${users} docker users, ${devices} device nodes${canMknod ? '' : ' (regular files: not root)'}, ${files} managed files`);
  console.log(`load+validate ${resources.length} resources: ${fmt(t1 - t0)}`);
  console.log(`plan (cold):      ${fmt(t2 - t1)}  ${plan.changes.length} changes`);
  console.log(`apply:            ${fmt(t3 - t2)}  ${result.counts.applied} applied, ${result.counts.failed} failed (${((t3 - t2) / Math.max(1, result.counts.applied)).toFixed(2)} ms/change)`);
  console.log(`plan (converged): ${fmt(t4 - t3)}  ${after.changes.length} changes`);
  await fs.rm(root, { recursive: true, force: true });
}

await main();
