import { RootedHost } from '../../src/host/rooted-host.js';
import { MAX_RULE_READ_BYTES, withBoundedReads } from '../../src/rules/bounded-reads.js';
import { runRules } from '../../src/rules/engine.js';
import { loadRules } from '../../src/rules/load.js';
import { file, makeRoot, type TempRoot } from '../helpers/temp-root.js';

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

describe('reads made for rules are capped', () => {
  it('reads a file at the cap and refuses one byte more, naming path and size', async () => {
    root = await makeRoot({ 'etc/at-cap': 'a'.repeat(MAX_RULE_READ_BYTES), 'etc/over': 'a'.repeat(MAX_RULE_READ_BYTES + 1) });
    const host = withBoundedReads(new RootedHost(root.dir));
    expect((await host.readText('/etc/at-cap'))?.length).toBe(MAX_RULE_READ_BYTES);
    await expect(host.readFile('/etc/over')).rejects.toThrow(
      `/etc/over is ${MAX_RULE_READ_BYTES + 1} bytes, over the ${MAX_RULE_READ_BYTES}-byte limit of what rules read`,
    );
    expect(await host.readText('/etc/missing')).toBeNull();
    expect(host.root).toBe(root.dir);
  });

  it('an oversized file is a finding ("could not be checked"), never a rule that passed', async () => {
    const huge = '#!/bin/sh\n' + 'chmod '.repeat((MAX_RULE_READ_BYTES / 6) | 0) + '\n';
    root = await makeRoot({
      'usr/sbin/ub-device-create': file(huge, { mode: 0o755 }),
      'usr/sbin/ub-device-create.original': file('#!/bin/sh\n', { mode: 0o755 }),
    });
    const rules = (await loadRules([])).filter((r) => r.id === 'device-create-wrapper');
    const run = await runRules(new RootedHost(root.dir), rules);
    expect(run.findings).toHaveLength(1);
    expect(run.findings[0]!.status).toBe('fail');
    expect(run.findings[0]!.message).toMatch(/could not be checked: \/usr\/sbin\/ub-device-create is \d+ bytes, over the/);
  });
});
