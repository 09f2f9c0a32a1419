import { afterEach, describe, expect, it } from '@jest/globals';
import { RootedHost } from '../../../src/host/rooted-host.js';
import type { RestoreOriginalResource } from '../../../src/kinds/restore-original/types.js';
import { restoreOriginalHandler } from '../../../src/kinds/restore-original/restore-original.js';
import { applyOperation } from '../../helpers/apply-op.js';
import { testSource } from '../../helpers/resources.js';
import { file, makeRoot, type TempRoot, type Tree } from '../../helpers/temp-root.js';

const WRAPPER = '#!/bin/bash\n# DS01 wrapper for NVIDIA ub-device-create\n/usr/sbin/ub-device-create.original "$@"\n';
const ORIGINAL = '#!/bin/sh\n# the distribution helper\n';

const res: RestoreOriginalResource = {
  kind: 'restore-original',
  id: 'ub-device-create-original',
  source: testSource,
  path: '/usr/sbin/ub-device-create',
  original: '/usr/sbin/ub-device-create.original',
  wrapperMatches: 'DS01 wrapper for NVIDIA ub-device-create',
};

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function plan(tree: Tree) {
  root = await makeRoot(tree);
  const host = new RootedHost(root.dir);
  return { host, result: restoreOriginalHandler.diff(res, await restoreOriginalHandler.probe(host, res)) };
}

describe('restore-original handler', () => {
  it('plans nothing when the path holds the real tool', async () => {
    const { result } = await plan({ 'usr/sbin/ub-device-create': file(ORIGINAL, { mode: 0o755 }) });
    expect(result.changes).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.unchanged).toHaveLength(1);
  });

  it('moves the original back over the wrapper, keeping its mode, and converges', async () => {
    const { host, result } = await plan({
      'usr/sbin/ub-device-create': file(WRAPPER, { mode: 0o755 }),
      'usr/sbin/ub-device-create.original': file(ORIGINAL, { mode: 0o750 }),
    });
    expect(result.changes).toHaveLength(1);
    expect(result.changes[0]).toMatchObject({
      action: 'update',
      op: { type: 'rename-over', from: '/usr/sbin/ub-device-create.original' },
      content: { before: WRAPPER, after: ORIGINAL },
    });
    await applyOperation(host, result.changes[0]!, '/var/lib/reconcile/backups/r');
    expect(await host.readText('/usr/sbin/ub-device-create')).toBe(ORIGINAL);
    expect((await host.lstat('/usr/sbin/ub-device-create'))?.mode).toBe(0o750);
    expect(await host.lstat('/usr/sbin/ub-device-create.original')).toBeNull();
    // The wrapper is kept in the backups.
    expect(await host.readText('/var/lib/reconcile/backups/r/usr/sbin/ub-device-create')).toBe(WRAPPER);
    const again = restoreOriginalHandler.diff(res, await restoreOriginalHandler.probe(host, res));
    expect(again.changes).toEqual([]);
    expect(again.errors).toEqual([]);
  });

  it('reports a wrapper without a saved original as an error, and changes nothing', async () => {
    const { result } = await plan({ 'usr/sbin/ub-device-create': WRAPPER });
    expect(result.changes).toEqual([]);
    expect(result.errors[0]?.message).toContain('saved original /usr/sbin/ub-device-create.original is missing');
  });
});
