// kill -9 during an apply, once for every kind of step. One traced run of the
// built CLI lists the apply's steps (fault points) and what each one does;
// steps are grouped by class (phase + primitive, and for a change the
// operation and target type: "perform remove/delete/dir: remove-tree"), and
// the apply is killed at the first step of each class. After each kill every
// path is as before or as intended, etc/group never has a member etc/gshadow
// lacks, and a re-run converges, reports the interrupted run by id and leaves
// no temp file (see crash-check.ts). The sweep over every step is
// bench/crash-sweep.ts: it prints figures and takes minutes on a busy machine.

import path from 'node:path';
import { ChildGroup } from '../helpers/child-group.js';
import { bin, ensureBuilt, repo } from './built-cli.js';
import { checkAfterKill, classesOf, killAt, reference, traceApply, type Reference } from './crash-check.js';
import type { Scenario } from './scenario.js';

const children = new ChildGroup();
const scenarios: Scenario[] = [];
const paths = { bin, tracer: path.join(repo, 'test/safety/fault-trace.mjs') };

// At load time, so that each class is a test of its own, named after it.
await ensureBuilt();
const trace = await traceApply(children, paths, scenarios);
const classes = classesOf(trace.steps);
const total = trace.steps.length;
const firstOfEach = [...classes].map(([name, steps]) => [steps[0]!, name] as const).sort((a, b) => a[0] - b[0]);

let ref: Reference;
beforeAll(async () => {
  ref = await reference(trace, scenarios);
});

afterAll(async () => {
  // Children first: a root removed while a child still writes into it fails (ENOTEMPTY).
  await children.stopAll();
  await Promise.all(scenarios.map((s) => s.cleanup()));
});

describe('the traced apply', () => {
  it('names every step: its phase and its fault point', () => {
    expect(trace.steps.filter((s) => s.label === 'unknown' || s.phase.startsWith('other'))).toEqual([]);
  });

  it('passes every phase and every operation of the all-kinds scenario', () => {
    const phases = new Set(trace.steps.map((s) => s.phase));
    for (const phase of [
      'state dir',
      'lock',
      'journal open',
      'journal start',
      'backup',
      'backup tree entry',
      'journal begin',
      'journal outcome',
      'journal end',
      'unlock',
      'perform write-file/create/absent',
      'perform write-file/update/file',
      'perform set-attributes/update/file',
      'perform remove/delete/file',
      'perform remove/delete/symlink',
      'perform remove/delete/dir',
      'perform group-members adding/update/group',
      'perform group-members removing/update/group',
      'perform rename-over/update/file',
    ]) {
      expect([...phases]).toContain(phase);
    }
  });

  it('has as many steps as the fault injection counts: killed at the last, complete one past it', async () => {
    const last = await killAt(children, paths, total, scenarios);
    expect(last?.n).toBe(total);
    expect(await killAt(children, paths, total + 1, scenarios)).toBeNull();
  });
});

describe('killed at the first step of each class, then re-run', () => {
  it.each(firstOfEach)('step %i (%s)', async (n) => {
    const killed = await killAt(children, paths, n, scenarios);
    expect(killed).not.toBeNull();
    await checkAfterKill(ref, killed!);
  });
});
