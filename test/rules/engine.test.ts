import { RootedHost } from '../../src/host/rooted-host.js';
import type { Host } from '../../src/host/types.js';
import { runRules } from '../../src/rules/engine.js';
import type { Rule } from '../../src/rules/types.js';
import { makeRoot, type TempRoot } from '../helpers/temp-root.js';

const base: Omit<Rule, 'id' | 'match'> = {
  severity: 'warning',
  title: 't',
  why: 'w',
  remediation: 'do this',
  source: { file: '/rules/x.yaml', line: 1, column: 1 },
};

const cacheRule: Rule = {
  ...base,
  id: 'cache',
  match: { type: 'file-content', paths: ['/var/x.cache'], when: 'present' },
};

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

describe('runRules', () => {
  it('returns one finding per hit, with the rule’s severity and remediation, and lists what it evaluated', async () => {
    root = await makeRoot({ 'var/x.cache': '' });
    const run = await runRules(new RootedHost(root.dir), [cacheRule, { ...cacheRule, id: 'other', match: { ...cacheRule.match, paths: ['/nope'] } as Rule['match'] }]);
    expect(run.findings).toEqual([
      { rule: 'cache', severity: 'warning', target: '/var/x.cache', message: '/var/x.cache exists.', remediation: 'do this', status: 'fail' },
    ]);
    expect(run.evaluated.map((r) => r.id)).toEqual(['cache', 'other']);
  });

  it('appends the rule’s message to failing findings', async () => {
    root = await makeRoot({ 'var/x.cache': '' });
    const run = await runRules(new RootedHost(root.dir), [{ ...cacheRule, message: 'Reboot to fix.' }]);
    expect(run.findings[0]!.message).toBe('/var/x.cache exists. Reboot to fix.');
  });

  it('passes a rule whose `when` paths are all absent without looking further', async () => {
    root = await makeRoot({ 'var/x.cache': '' });
    const run = await runRules(new RootedHost(root.dir), [{ ...cacheRule, when: { anyPathExists: ['/dev/nvidia*'] } }]);
    expect(run.findings).toEqual([]);
    expect(run.evaluated).toHaveLength(1);
    await root.add({ 'dev/nvidia-fake': '' });
    const again = await runRules(new RootedHost(root.dir), [{ ...cacheRule, when: { anyPathExists: ['/dev/nvidia*'] } }]);
    expect(again.findings).toHaveLength(1);
  });

  it('reports a rule that cannot be checked as failing, not as passing', async () => {
    root = await makeRoot({});
    const real = new RootedHost(root.dir);
    const broken = new Proxy(real, {
      get(t, p) {
        if (p === 'glob') return async () => { throw new Error('EIO reading /var'); };
        const v = Reflect.get(t, p);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    }) as Host;
    const run = await runRules(broken, [cacheRule]);
    expect(run.findings).toEqual([
      expect.objectContaining({ rule: 'cache', status: 'fail', message: 'could not be checked: EIO reading /var' }),
    ]);
  });
});
