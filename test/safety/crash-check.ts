// kill -9 at a chosen step of an apply, and what must hold afterwards. Shared
// by test/safety/crash.test.ts (one kill per kind of step, in CI) and
// bench/crash-sweep.ts (every step, with figures). Plain node:assert, no jest,
// so the bench can run it.
//
// The built CLI runs the all-kinds scenario with RECONCILE_FAULT_AFTER=N: it
// SIGKILLs itself at the N-th mutation step (src/host/fault-injection.ts).
// One traced run (fault-trace.mjs records each step's call stack instead of
// dying) tells how many steps there are and what each one does, so the steps
// can be grouped into classes: which phase (lock, journal, backup, the change
// itself), which primitive (write-temp, before-rename, chmod, ...) and, for a
// change, which operation on which type of target.

import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ChildGroup } from '../helpers/child-group.js';
import { main } from '../../src/cli/main.js';
import { parseGroupLine } from '../../src/host/group-db.js';
import { parseJournal, type JournalEntry } from '../../src/apply/journal.js';
import { makeScenario, type Scenario } from './scenario.js';
import { captureOutput, snapshot, type Snapshot } from './snapshot.js';

export const TEMP_NAME = /\/\.[^/]*\.reconcile-\d+-[0-9a-f]{8}\.tmp(\/|$)/;
/** The shadow tools' lock a killed run held while editing etc/group or etc/gshadow: transient, like a temp file. */
export const SHADOW_LOCK = /^\/etc\/(group|gshadow)\.lock$/;

export interface CliPaths {
  /** dist/src/cli/bin.js */
  bin: string;
  /** test/safety/fault-trace.mjs */
  tracer: string;
}

/** The scenario before any apply and after a complete one, to compare killed runs against. */
export interface Reference {
  beforeRoot: string;
  before: Snapshot;
  intendedRoot: string;
  intended: Snapshot;
  intendedGroupText: string;
}

export interface Step {
  /** 1-based: RECONCILE_FAULT_AFTER=n kills the apply here. */
  n: number;
  /** The fault point's label in src/host (write-temp, before-rename, chmod, ...). */
  label: string;
  /** What kind of step: "lock", "backup file", "perform write-file/update/file", ... */
  phase: string;
}

export interface Trace {
  steps: Step[];
  /** The traced run completed: its root is the intended state. */
  scenario: Scenario;
}

async function runApply(children: ChildGroup, paths: CliPaths, scenario: Scenario, env: Record<string, string>, nodeArgs: string[] = []) {
  const r = await children.start('node', [...nodeArgs, paths.bin, '--apply', '--desired', scenario.desired, '--root', scenario.root.dir], { env });
  return { code: r.exitCode, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A complete apply that records every fault point it passes (stack frames) instead of dying there. */
export async function traceApply(children: ChildGroup, paths: CliPaths, scenarios: Scenario[]): Promise<Trace> {
  const scenario = await makeScenario();
  scenarios.push(scenario);
  const traceFile = path.join(path.dirname(scenario.desired), 'fault-trace.jsonl');
  const r = await runApply(children, paths, scenario, { RECONCILE_FAULT_AFTER: '1', RECONCILE_FAULT_TRACE: traceFile }, ['--import', paths.tracer]);
  assert.equal(r.code, 0, `the traced apply failed: ${r.stdout}${r.stderr}`);
  const stacks = (await fs.readFile(traceFile, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string[]);
  const runs = await fs.readdir(scenario.root.path('/var/lib/reconcile/runs'));
  assert.equal(runs.length, 1);
  const journal = parseJournal(await fs.readFile(scenario.root.path(`/var/lib/reconcile/runs/${runs[0]}/journal.jsonl`), 'utf8'));
  return { steps: await classify(stacks, journal), scenario };
}

const sources = new Map<string, string[]>();

/** The label of the faultPoint('...') call in the frame that called faultPoint. */
async function labelOf(stack: string[]): Promise<string> {
  const frame = stack.find((l) => !l.includes('fault-injection.js')) ?? '';
  const m = /(?:\(|at (?:async )?)(?:file:\/\/)?(\/[^():]+):(\d+):\d+\)?$/.exec(frame);
  if (!m) return 'unknown';
  if (!sources.has(m[1]!)) sources.set(m[1]!, (await fs.readFile(m[1]!, 'utf8')).split('\n'));
  return /faultPoint\('([^']+)'\)/.exec(sources.get(m[1]!)![Number(m[2]) - 1] ?? '')?.[1] ?? 'unknown';
}

/** Function names on the stack, innermost first ("applyChange", "Journal.write", ...). */
function functionsOf(stack: string[]): string[] {
  return stack.map((l) => /^at (?:async )?([\w.<>$]+) \(/.exec(l)?.[1] ?? '');
}

function describeChange(begin: Extract<JournalEntry, { type: 'begin' }> | undefined): string {
  if (!begin) return 'unknown change';
  const { change } = begin;
  const target = begin.before.type === 'path' ? begin.before.fileType : begin.before.type;
  const members = change.op.type === 'group-members' ? (change.op.remove.length > 0 ? ' removing' : ' adding') : '';
  return `${change.op.type}${members}/${change.action}/${target}`;
}

/**
 * The phase of each step. A change's backup comes before its journal "begin"
 * line, the change itself (perform) after it; the other journal lines of the
 * run are its start, each change's outcome and its end.
 */
async function classify(stacks: string[][], journal: JournalEntry[]): Promise<Step[]> {
  const begins = journal.filter((e): e is Extract<JournalEntry, { type: 'begin' }> => e.type === 'begin');
  const lastJournalLine = stacks.map(functionsOf).findLastIndex((f) => f.includes('Journal.write'));
  let begun = 0;
  const steps: Step[] = [];
  for (const [i, stack] of stacks.entries()) {
    const fns = functionsOf(stack);
    let phase: string;
    if (fns.includes('ensureStateDir')) phase = 'state dir';
    else if (fns.includes('acquireLock')) phase = 'lock';
    else if (fns.some((f) => f.endsWith('.release'))) phase = 'unlock';
    else if (fns.includes('Journal.open')) phase = 'journal open';
    else if (fns.includes('backupForChange')) {
      // Nested backupPath frames: a directory tree's contents.
      phase = fns.filter((f) => f === 'backupPath').length > 1 ? 'backup tree entry' : 'backup';
    } else if (fns.some((f) => f.endsWith('.beforeAct'))) {
      phase = 'journal begin';
      begun += 1;
    } else if (fns.includes('perform')) phase = `perform ${describeChange(begins[begun - 1])}`;
    else if (fns.includes('Journal.write')) phase = begun === 0 ? 'journal start' : i === lastJournalLine ? 'journal end' : 'journal outcome';
    else phase = `other ${fns.filter(Boolean).slice(1, 3).join('<')}`;
    steps.push({ n: i + 1, label: await labelOf(stack), phase });
  }
  assert.equal(begun, begins.length, 'every journal begin line was seen as a step');
  return steps;
}

/** Steps grouped by class ("phase: label"), each class's steps in order. */
export function classesOf(steps: Step[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of steps) {
    const key = `${s.phase}: ${s.label}`;
    out.set(key, [...(out.get(key) ?? []), s.n]);
  }
  return out;
}

export async function reference(trace: Trace, scenarios: Scenario[]): Promise<Reference> {
  const pristine = await makeScenario();
  scenarios.push(pristine);
  const intendedRoot = trace.scenario.root.dir;
  return {
    beforeRoot: pristine.root.dir,
    before: await snapshot(pristine.root.dir),
    intendedRoot,
    intended: await snapshot(intendedRoot),
    intendedGroupText: await fs.readFile(`${intendedRoot}/etc/group`, 'utf8'),
  };
}

export interface Killed {
  n: number;
  scenario: Scenario;
}

/** Runs the apply killed at step n; null once n is past the last step (the apply completed). */
export async function killAt(children: ChildGroup, paths: CliPaths, n: number, scenarios: Scenario[]): Promise<Killed | null> {
  const scenario = await makeScenario();
  scenarios.push(scenario);
  const r = await runApply(children, paths, scenario, { RECONCILE_FAULT_AFTER: String(n) });
  if (r.signal !== 'SIGKILL') {
    assert.equal(r.code, 0, `step ${n}: the apply neither died nor succeeded: ${r.stdout}${r.stderr}`);
    return null;
  }
  return { n, scenario };
}

function membersByGroup(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const e = parseGroupLine(line);
    if (e) out.set(e.name, e.members);
    else if (line.split(':').length === 4) out.set(line.split(':')[0]!, line.split(':')[3]!.split(',').filter(Boolean));
  }
  return out;
}

/** Two groups change in one file: each group's line is as before or as intended, every other line untouched. */
async function checkGroupFile(ref: Reference, root: string, file: string, n: number): Promise<void> {
  const lines = async (r: string) => (await fs.readFile(`${r}${file}`, 'utf8')).split('\n');
  const [now, was, want] = await Promise.all([lines(root), lines(ref.beforeRoot), lines(ref.intendedRoot)]);
  assert.equal(now.length, was.length, `killed at step ${n}: ${file} has ${now.length} lines, had ${was.length}`);
  now.forEach((line, i) => {
    if (line !== was[i] && line !== want[i]) throw new Error(`killed at step ${n}: ${file} line ${i + 1} is torn: ${line}`);
  });
  const st = await fs.stat(`${root}${file}`);
  const was0 = await fs.stat(`${ref.beforeRoot}${file}`);
  assert.deepEqual([st.mode, st.uid, st.gid], [was0.mode, was0.uid, was0.gid], `killed at step ${n}: ${file} mode/owner changed`);
}

/**
 * After a kill every path is exactly as before or exactly as intended,
 * etc/group never has a member that etc/gshadow lacks, and a re-run (in
 * process) converges, reports the interrupted run by id and leaves no temp
 * file behind. Removes the scenario when all holds.
 */
export async function checkAfterKill(ref: Reference, { n, scenario }: Killed): Promise<void> {
  const { before, intended } = ref;
  const root = scenario.root.dir;
  const now = await snapshot(root);
  const paths = new Set([...Object.keys(before), ...Object.keys(intended), ...Object.keys(now)]);
  for (const p of paths) {
    if (TEMP_NAME.test(p) || SHADOW_LOCK.test(p)) continue; // leftover temp file or lock: must be gone after the re-run (checked below)
    if (p === '/etc/group' || p === '/etc/gshadow') {
      await checkGroupFile(ref, root, p, n);
      continue;
    }
    const state = now[p];
    let ok = JSON.stringify(state) === JSON.stringify(before[p]) || JSON.stringify(state) === JSON.stringify(intended[p]);
    // Owner and mode are two system calls (chown, chmod), done in place for
    // device nodes and for files whose bytes do not change (a rewrite would
    // break hard links and drop xattrs): each attribute on its own is as before
    // or as intended, and the bytes are untouched.
    const attributesOnly =
      state?.type === 'char' || state?.type === 'block' || (state?.type === 'file' && state.sha256 === before[p]?.sha256 && state.sha256 === intended[p]?.sha256);
    if (!ok && attributesOnly && before[p] && intended[p]) {
      ok = (['mode', 'uid', 'gid'] as const).every((k) => state[k] === before[p]![k] || state[k] === intended[p]![k]);
    }
    if (!ok) throw new Error(`killed at step ${n}: ${p} is neither as before nor as intended: ${JSON.stringify(state)}`);
  }
  const group = membersByGroup(await fs.readFile(`${root}/etc/group`, 'utf8'));
  const gshadow = membersByGroup(await fs.readFile(`${root}/etc/gshadow`, 'utf8'));
  const wasGroup = membersByGroup(await fs.readFile(`${ref.beforeRoot}/etc/group`, 'utf8'));
  const wantGroup = membersByGroup(ref.intendedGroupText);
  assert.deepEqual([...gshadow.keys()].sort(), [...group.keys()].sort(), `killed at step ${n}: etc/group and etc/gshadow name different groups`);
  for (const [name, members] of group) {
    // For a group that only gains members, gshadow is written first: a member
    // only there grants nothing. (A removal goes the same way round, so for a
    // moment the member is only in etc/group: see the report on issue 4.)
    if (!(wasGroup.get(name) ?? []).every((m) => wantGroup.get(name)?.includes(m))) continue;
    const shadow = gshadow.get(name);
    if (!shadow || !members.every((m) => shadow.includes(m))) {
      throw new Error(`killed at step ${n}: etc/group ${name} has ${members.join(',')} but etc/gshadow has ${shadow?.join(',')}`);
    }
  }

  // The killed run, if it got as far as starting its journal.
  const runs = (await fs.readdir(`${root}/var/lib/reconcile/runs`).catch(() => [] as string[])).sort();
  const killedRun = runs[0];
  let unfinished = false;
  if (killedRun) {
    // Killed before the first journal line: the run never started, there is nothing to report.
    const journal = await fs.readFile(`${root}/var/lib/reconcile/runs/${killedRun}/journal.jsonl`, 'utf8').catch(() => '');
    unfinished = journal.includes('"type":"start"') && !journal.includes('"type":"end"');
  }

  const io = captureOutput();
  const code = await main(['--apply', '--desired', scenario.desired, '--root', root], io);
  if (code !== 0) throw new Error(`killed at step ${n}: the re-run exited ${code}: ${io.stdout}${io.stderr}`);
  assert.ok(io.stdout.includes('The host is converged.'), `killed at step ${n}: the re-run did not converge: ${io.stdout}`);
  const interrupted = new RegExp(`warning: the previous apply run ${killedRun} \\(started .*\\) was interrupted`);
  if (unfinished) assert.match(io.stdout, interrupted, `killed at step ${n}: the re-run did not report run ${killedRun} as interrupted`);
  else assert.ok(!io.stdout.includes('was interrupted'), `killed at step ${n}: the re-run reported an interrupted run that never started`);
  // Converged, and nothing left over: no temp file anywhere outside the state dir.
  assert.deepEqual(await snapshot(root), intended, `killed at step ${n}: the re-run did not reach the intended state`);
  const all = await snapshot(root, []);
  assert.deepEqual(
    Object.keys(all).filter((p) => TEMP_NAME.test(p) || SHADOW_LOCK.test(p)),
    [],
    `killed at step ${n}: temp files left after the re-run`,
  );
  if (unfinished) {
    const h = captureOutput();
    await main(['--history', '--root', root, '--format', 'json'], h);
    const killed = (JSON.parse(h.stdout) as { runs: { runId: string; outcome: string }[] }).runs.find((r) => r.runId === killedRun);
    assert.equal(killed?.outcome, 'interrupted', `killed at step ${n}: --history does not show run ${killedRun} as interrupted`);
  }
  await scenario.cleanup();
}
