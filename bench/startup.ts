// Benchmark: what a run of the command costs next to starting node itself.
// Paired runs: each round starts `node -e 0`, then each reconcile command,
// under /usr/bin/time; the ratio is taken within the round (so a burst of load
// from elsewhere hits both sides) and the median over rounds is printed, for
// wall and for CPU (user+sys) time, with the peak RSS. Not a test: figures.
//
//   npm run build && node dist/bench/startup.js [rounds] [--bin FILE]...
//
// Default binaries: the shipped bundle (dist/bundle/reconcile.cjs) and, for
// comparison, the tsc build the tests run (dist/src/cli/bin.js). Each command
// runs twice per round: with the load cache off (RECONCILE_NO_CACHE=1, what
// the first run after an edit costs) and warm (a cache dir of its own, filled
// before the rounds: what a cron job sees when nothing changed).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const repo = path.resolve(import.meta.dirname, '../..');
const desired = path.join(repo, 'desired-state/ds01.yaml');
const host = path.join(repo, 'examples/hosts/incident-2-nvidia-smi-wrapper');
const TIME = '/usr/bin/time';

const argv = process.argv.slice(2);
const bins: string[] = [];
let rounds = 15;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--bin') bins.push(path.resolve(argv[++i]!));
  else rounds = Number(argv[i]);
}
if (bins.length === 0) {
  for (const b of ['dist/bundle/reconcile.cjs', 'dist/src/cli/bin.js']) if (existsSync(path.join(repo, b))) bins.push(path.join(repo, b));
}

interface Sample {
  wall: number;
  cpu: number;
  rssKb: number | null;
}

const haveTime = existsSync(TIME);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reconcile-startup-'));
const timeOut = path.join(tmp, 'time');

/**
 * One run under /usr/bin/time (user+sys, max RSS); without it, wall time only.
 * Wall time is taken here, to the microsecond: time's %e has 10 ms steps,
 * coarse next to a 0.1 s `node -e 0` (time itself adds one fork+exec to both).
 */
function measure(cmd: string[], env: NodeJS.ProcessEnv = process.env): Sample {
  const t0 = performance.now();
  if (!haveTime) {
    spawnSync(cmd[0]!, cmd.slice(1), { stdio: 'ignore', env });
    return { wall: (performance.now() - t0) / 1000, cpu: NaN, rssKb: null };
  }
  spawnSync(TIME, ['-f', '%U %S %M', '-o', timeOut, ...cmd], { stdio: 'ignore', env });
  const wall = (performance.now() - t0) / 1000;
  const [u, s, m] = readFileSync(timeOut, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: u! + s!, rssKb: m! };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const modes: { name: string; args: string[]; goal: number }[] = [
  { name: '--plan', args: ['--plan', '--desired', desired, '--root', host], goal: 1.5 },
  { name: '--validate', args: ['--validate', '--desired', desired], goal: 1.3 },
];
const RSS_GOAL_MB = 60;

const caches = [
  { name: 'no cache', env: { ...process.env, RECONCILE_NO_CACHE: '1' } },
  { name: 'warm cache', env: { ...process.env, RECONCILE_NO_CACHE: '', RECONCILE_CACHE_DIR: path.join(tmp, 'cache') } },
];
// Fill the warm cache: one run of each command.
for (const bin of bins) for (const m of modes) spawnSync(process.execPath, [bin, ...m.args], { stdio: 'ignore', env: caches[1]!.env });

const loadBefore = os.loadavg()[0]!;
const base: Sample[] = [];
const runs = new Map<string, Sample[]>();
for (let r = 0; r < rounds; r++) {
  base.push(measure([process.execPath, '-e', '0']));
  for (const bin of bins) {
    for (const m of modes) {
      for (const c of caches) {
        const key = `${path.relative(repo, bin)} ${m.name} (${c.name})`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key)!.push(measure([process.execPath, bin, ...m.args], c.env));
      }
    }
  }
}
rmSync(tmp, { recursive: true, force: true });

const fmt = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(3));
console.log(`startup: ${rounds} paired rounds, node ${process.version}, ${os.cpus().length} CPUs, 1-min load ${loadBefore.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after`);
console.log(`  node -e 0: median ${fmt(median(base.map((s) => s.wall)))}s real ${fmt(median(base.map((s) => s.cpu)))}s cpu, ${((median(base.map((s) => s.rssKb ?? NaN))) / 1024).toFixed(1)} MB maxrss`);
for (const [key, samples] of runs) {
  const goal = modes.find((m) => key.includes(` ${m.name} (`))!.goal;
  const wallRatio = median(samples.map((s, i) => s.wall / base[i]!.wall));
  const cpuRatio = median(samples.map((s, i) => s.cpu / base[i]!.cpu));
  const rssMb = Math.max(...samples.map((s) => s.rssKb ?? NaN)) / 1024;
  const verdict = wallRatio <= goal && !(rssMb > RSS_GOAL_MB) ? 'meets' : 'misses';
  console.log(
    `  ${key}: median ${fmt(median(samples.map((s) => s.wall)))}s real ${fmt(median(samples.map((s) => s.cpu)))}s cpu, ` +
      `peak ${rssMb.toFixed(1)} MB maxrss; ratio to node -e 0: real ${fmt(wallRatio)}x, cpu ${fmt(cpuRatio)}x ` +
      `(goal real <= ${goal}x, <= ${RSS_GOAL_MB} MB: ${verdict})`,
  );
}
