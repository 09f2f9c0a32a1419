// package: the pure diff and bad input per key. The real dpkg-query and
// apt-get run in test/integration/debian/service-package.test.ts.

import { packageHandler } from '../../../src/kinds/package/package.js';
import type { PackageResource } from '../../../src/kinds/package/types.js';
import { validateDesiredStateText } from '../../../src/model/load.js';
import { testSource } from '../../helpers/resources.js';
import { expectUserError } from '../../model/fixtures/expect-user-error.js';

const pkgs = (names: string[]): PackageResource => ({ kind: 'package', id: 'base', source: testSource, names });

describe('package diff', () => {
  it('plans nothing when every package is installed', () => {
    const r = packageHandler.diff(pkgs(['sudo', 'cron']), { sudo: '1.9', cron: '3.0' });
    expect(r.changes).toEqual([]);
    expect(r.unchanged.map((u) => u.target)).toEqual(['sudo', 'cron']);
  });

  it('one install per missing package, each its own target', () => {
    const r = packageHandler.diff(pkgs(['sudo', 'python3-yaml']), { sudo: '1.9', 'python3-yaml': null });
    expect(r.changes).toEqual([
      expect.objectContaining({
        kind: 'package',
        target: 'python3-yaml',
        action: 'create',
        expect: { type: 'package', version: null },
        op: { type: 'install-packages', names: ['python3-yaml'] },
      }),
    ]);
  });
});

describe('package bad input', () => {
  const F = 'pkg.yaml';
  const check = (body: string) => validateDesiredStateText(`version: 1\nresources:\n  - id: p\n    kind: package\n${body}`, F);

  it('names: required', async () => {
    await expectUserError(check('    description: x\n'), `${F}:3:5:`, /names/);
  });

  it('names: not empty', async () => {
    await expectUserError(check('    names: []\n'), `${F}:5:12:`);
  });

  it('names: a Debian package name, no options smuggled into apt-get', async () => {
    await expectUserError(check('    names: [sudo, --allow-unauthenticated]\n'), `${F}:5:19:`, /Debian package name/);
  });

  it('names: one package once', async () => {
    await expectUserError(check('    names: [sudo, sudo]\n'), `${F}:5:`);
  });

  it('a package named in two resources is refused at load', async () => {
    await expectUserError(
      validateDesiredStateText(
        `version: 1\nresources:\n  - id: a\n    kind: package\n    names: [sudo]\n  - id: b\n    kind: package\n    names: [cron, sudo]\n`,
        F,
      ),
      `${F}:8:19:`,
      /already managed by resource a/,
    );
  });
});
