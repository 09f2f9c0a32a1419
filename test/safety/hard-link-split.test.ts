// Issue 9, section 4: a rewrite splits a hard link (the other names keep the
// old content). The plan says so, as a note on that target; the apply then
// leaves the other name untouched.

import { afterEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { RootedHost } from '../../src/host/rooted-host.js';
import type { Resource } from '../../src/model/types.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { testSource } from '../helpers/resources.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';

let root: TempRoot;
afterEach(async () => {
  await root?.cleanup();
});

const motd: Resource = { kind: 'file', id: 'motd', source: testSource, path: '/etc/motd', state: 'present', content: 'new\n' };

describe('a rewrite of a hard-linked file', () => {
  it('the plan notes that the link is split, naming the target; the other name keeps the old content', async () => {
    root = await makeRoot({ 'etc/motd': 'old\n' });
    await fs.link(root.path('/etc/motd'), root.path('/etc/motd.copy'));
    const host = new RootedHost(root.dir);
    const plan = await buildPlan(host, [motd]);
    expect(plan.changes).toHaveLength(1);
    const notes = plan.notes.filter((n) => n.target === '/etc/motd');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toMatch(/has 1 other hard link: .*the hard link is split/);
    expect(renderPlanText(plan, { root: root.dir })).toMatch(/hard link is split/);
    await applyPlan(host, plan, { stateDir: '/var/lib/reconcile', lockTimeoutSeconds: 5, desiredFiles: [] });
    expect(await fs.readFile(root.path('/etc/motd'), 'utf8')).toBe('new\n');
    expect(await fs.readFile(root.path('/etc/motd.copy'), 'utf8')).toBe('old\n');
  });

  it('says nothing for a file with a single name', async () => {
    root = await makeRoot({ 'etc/motd': 'old\n' });
    const plan = await buildPlan(new RootedHost(root.dir), [motd]);
    expect(plan.notes.filter((n) => /hard link/.test(n.message))).toEqual([]);
  });
});
