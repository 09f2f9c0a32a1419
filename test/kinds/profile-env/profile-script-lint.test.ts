// The generated profile.d script passes shellcheck as POSIX sh and as dash:
// a linter that knows the shells' pitfalls, not just their grammar (sh -n).

import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ProfileEnvResource } from '../../../src/kinds/profile-env/types.js';
import { renderProfileScript } from '../../../src/kinds/profile-env/profile-script.js';
import { testSource } from '../../helpers/resources.js';

const available = (await execa('shellcheck', ['--version'], { reject: false })).exitCode === 0;
if (!available && process.env.CI === 'true') throw new Error('shellcheck is missing in CI: .ci/run installs it');
if (!available) console.warn('shellcheck lint of generated scripts skipped: shellcheck is not installed (apt-get install shellcheck)');
const lint = available ? describe : describe.skip;

const resources: ProfileEnvResource[] = [
  {
    kind: 'profile-env',
    id: 'ds01-gpu-awareness',
    source: testSource,
    path: '/etc/profile.d/ds01-gpu-awareness.sh',
    env: { CUDA_VISIBLE_DEVICES: '' },
    exempt: { users: ['datasciencelab'], groups: [], grantDir: '/var/lib/ds01/bare-metal-grants' },
    mode: 0o644,
  },
  {
    kind: 'profile-env',
    id: 'awkward',
    source: testSource,
    path: '/etc/profile.d/awkward.sh',
    env: { A: "it's $HOME `x` \"q\"\nline2", B: ' spaced ', EMPTY: '' },
    exempt: { users: ['h.baker@hertie-school.lan', 'o\'brien'], groups: ['ds01-admin', 'domain users'], grantDir: '/var/lib/g r' },
    mode: 0o644,
  },
  { kind: 'profile-env', id: 'none', source: testSource, path: '/etc/profile.d/n.sh', env: { X: '1' }, exempt: { users: [], groups: [] }, mode: 0o644 },
];

lint('generated profile.d scripts under shellcheck', () => {
  for (const res of resources) {
    for (const shell of ['sh', 'dash']) {
      it(`${res.id} is clean as ${shell}`, async () => {
        const r = await execa('shellcheck', ['--shell', shell, '--severity', 'style', '-'], {
          input: renderProfileScript(res),
          reject: false,
        });
        expect(r.stdout).toBe('');
        expect(r.exitCode).toBe(0);
      });
    }
  }
});
