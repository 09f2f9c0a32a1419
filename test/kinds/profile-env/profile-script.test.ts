import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import fc from 'fast-check';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProfileEnvResource } from '../../../src/kinds/profile-env/types.js';
import { renderProfileScript, shQuote } from '../../../src/kinds/profile-env/profile-script.js';
import { testSource } from '../../helpers/resources.js';

const SHELLS = ['dash', 'bash'] as const;

function resource(overrides: Partial<ProfileEnvResource> = {}): ProfileEnvResource {
  return {
    kind: 'profile-env',
    id: 'ds01-gpu-awareness',
    source: testSource,
    path: '/etc/profile.d/ds01-gpu-awareness.sh',
    env: { CUDA_VISIBLE_DEVICES: '' },
    exempt: { users: ['datasciencelab'], groups: [], grantDir: '/var/lib/ds01/bare-metal-grants' },
    mode: 0o644,
    ...overrides,
  };
}

let work: string;
let fakeBin: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-profile-'));
  fakeBin = path.join(work, 'bin');
  await fs.mkdir(fakeBin);
  // A stand-in for id(1): creating real users here would be invasive. It
  // answers -un and -Gn from FAKE_USER / FAKE_GROUPS, and fails (as id does
  // for a uid without a name) when FAKE_USER is empty.
  await fs.writeFile(
    path.join(fakeBin, 'id'),
    '#!/bin/sh\n' +
      'case "$1" in\n' +
      '  -un) [ -n "$FAKE_USER" ] || { echo "id: cannot find name for user ID 4242" >&2; exit 1; }; printf "%s\\n" "$FAKE_USER" ;;\n' +
      '  -Gn) printf "%s\\n" "$FAKE_GROUPS" ;;\n' +
      '  *) exit 2 ;;\n' +
      'esac\n',
    { mode: 0o755 },
  );
});
afterAll(async () => fs.rm(work, { recursive: true, force: true }));

/** A clean login-like environment: no inherited variables, no ~/.bashrc. */
function shellEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: `${fakeBin}:/usr/bin:/bin`, HOME: work, ...extra };
}
// bash reads ~/.bashrc when stdin is a socket (it guesses rshd), and Node's
// pipes are sockets: give the shells no stdin at all.
const quiet = { extendEnv: false, stdin: 'ignore' } as const;

let counter = 0;
async function writeScript(text: string): Promise<string> {
  const file = path.join(work, `script-${counter++}.sh`);
  await fs.writeFile(file, text);
  return file;
}

interface Login {
  user: string;
  groups?: string;
  /** Shell code run before sourcing (set -eu, IFS games). */
  before?: string;
  /** Inherited environment. */
  env?: Record<string, string>;
}

/**
 * Sources the script the way /etc/profile does and reports each variable:
 * "unset" or "set:<value>" (exported or not), plus leftovers and that the
 * shell carried on after the dot command.
 */
async function source(shell: string, script: string, login: Login, vars = ['CUDA_VISIBLE_DEVICES']) {
  const report = vars
    .map((v) => `if [ "\${${v}+set}" = set ]; then printf '${v}=set:%s|' "$${v}"; else printf '${v}=unset|'; fi`)
    .join('\n');
  const code = [
    login.before ?? '',
    `. ${shQuote(script)}`,
    report,
    "for h in user groups exempt; do eval \"[ -z \\\"\\${_reconcile_pe_$h+x}\\\" ]\" || printf 'LEFTOVER:%s|' \"$h\"; done",
    "printf 'after'",
  ].join('\n');
  const res = await execa(shell, ['-c', code], {
    env: shellEnv({ FAKE_USER: login.user, FAKE_GROUPS: login.groups ?? login.user, ...login.env }),
    ...quiet,
    reject: false,
  });
  return { out: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
}

describe('renderProfileScript', () => {
  it('starts with a managed-by header and ends by unsetting its helpers', () => {
    const text = renderProfileScript(resource());
    expect(text.split('\n')[0]).toBe('# Managed by reconcile (resource ds01-gpu-awareness). Do not edit: the next');
    expect(text).toContain("export CUDA_VISIBLE_DEVICES=''\n");
    expect(text.trimEnd().split('\n').at(-1)).toBe('unset _reconcile_pe_user _reconcile_pe_groups _reconcile_pe_exempt');
    expect(text).not.toMatch(/\bexit\b/);
  });

  it('is deterministic', () => {
    expect(renderProfileScript(resource())).toBe(renderProfileScript(resource()));
  });

  it('quotes values and names', () => {
    expect(shQuote("it's $HOME `x`")).toBe("'it'\\''s $HOME `x`'");
    const text = renderProfileScript(
      resource({ exempt: { users: ["o'brien", 'h.baker@hertie-school.lan'], groups: ['gpu*'], grantDir: "/var/lib/g's/" } }),
    );
    expect(text).toContain("  'o'\\''brien'|'h.baker@hertie-school.lan') _reconcile_pe_exempt=user ;;");
    expect(text).toContain("    *' gpu* '*) _reconcile_pe_exempt=group ;;");
    expect(text).toContain(`[ -e '/var/lib/g'\\''s/'"$_reconcile_pe_user"'.json' ]`);
  });

  it('refuses names that are not shell variable names', () => {
    expect(() => renderProfileScript(resource({ env: { 'A-B': 'x' } }))).toThrow(/not a valid shell name/);
    expect(() => renderProfileScript(resource({ env: { '1A': 'x' } }))).toThrow(/not a valid shell name/);
    expect(() => renderProfileScript(resource({ env: { _reconcile_pe_user: 'x' } }))).toThrow(/reserves/);
  });

  it('keeps comments one line each whatever the names contain', () => {
    const text = renderProfileScript(resource({ id: 'a\nrm -rf /', exempt: { users: ['x\ny'], groups: [] } }));
    for (const line of text.split('\n').filter((l) => l.includes('rm -rf'))) expect(line.startsWith('#')).toBe(true);
  });
});

const awkwardValues = [
  '',
  "'",
  "it's",
  "''",
  '"double"',
  '$HOME ${PATH} $(id) `id`',
  'back\\slash\\',
  'line1\nline2\n',
  '  leading and trailing spaces  ',
  '*',
  '~',
  '!event',
  'tab\there',
  '0,1',
  'ümlaut ✓',
  ';&|<>()',
  '\\\'',
];

const awkwardName = fc.stringMatching(/^[a-z][a-z0-9._@' $`"\\-]{0,20}$/);
const resources = fc.record({
  id: fc.string({ maxLength: 20 }),
  env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.string({ maxLength: 30 }).filter((s) => !s.includes('\0')), {
    maxKeys: 4,
  }),
  users: fc.array(awkwardName, { maxLength: 3 }),
  groups: fc.array(awkwardName, { maxLength: 3 }),
  grantDir: fc.option(fc.stringMatching(/^\/[a-z0-9 '$`._-]{0,20}$/), { nil: undefined }),
});

describe('the generated script is valid sh for dash and bash', () => {
  it('passes sh -n (dash) and bash -n for many generated scripts', async () => {
    const samples = fc.sample(resources, { numRuns: 60, seed: 20260131 });
    samples.push({
      id: 'ds01',
      env: Object.fromEntries(awkwardValues.map((v, i) => [`V${i}`, v])),
      users: ['h.baker@hertie-school.lan', "o'brien", 'datasciencelab'],
      groups: ['ds01-admin', 'domain admins@hertie-school.lan'],
      grantDir: '/var/lib/ds01/bare-metal-grants',
    });
    for (const s of samples) {
      const script = await writeScript(
        renderProfileScript(
          resource({
            id: s.id,
            env: { ...s.env },
            exempt: { users: s.users, groups: s.groups, ...(s.grantDir ? { grantDir: s.grantDir } : {}) },
          }),
        ),
      );
      for (const shell of ['sh', 'dash', 'bash']) {
        const res = await execa(shell, ['-n', script], { ...quiet, env: shellEnv({}), reject: false });
        expect(`${shell}: ${res.exitCode} ${res.stderr}`).toBe(`${shell}: 0 `);
      }
    }
  });
});

describe('sourcing the script in dash and bash', () => {
  let grantDir: string;
  let script: string;
  beforeAll(async () => {
    grantDir = path.join(work, 'grants dir');
    await fs.mkdir(grantDir);
    await fs.writeFile(path.join(grantDir, 'granted.user.json'), '{"user":"granted.user","type":"temporary"}\n');
    await fs.writeFile(path.join(grantDir, 'h.baker@hertie-school.lan.json'), '{}\n');
    script = await writeScript(
      renderProfileScript(
        resource({ exempt: { users: ['datasciencelab', "o'brien"], groups: ['ds01-admin', 'gpu.users@lan'], grantDir } }),
      ),
    );
  });

  const cases: Array<[string, Login, string]> = [
    ['a normal user gets it set and empty', { user: 'alice', groups: 'alice docker video' }, 'set:'],
    ['an exempt user does not', { user: 'datasciencelab', groups: 'datasciencelab docker' }, 'unset'],
    ['an exempt user with a quote in the name does not', { user: "o'brien" }, 'unset'],
    ['a member of an exempt group does not', { user: 'bob', groups: 'bob ds01-admin' }, 'unset'],
    ['a member of an exempt group with dots and @ does not', { user: 'bob', groups: 'bob gpu.users@lan video' }, 'unset'],
    ['a user with a grant file does not', { user: 'granted.user', groups: 'granted.user' }, 'unset'],
    ['a directory user with a grant file does not', { user: 'h.baker@hertie-school.lan' }, 'unset'],
    ['a group name is matched whole, not as a part', { user: 'carol', groups: 'carol xds01-admin ds01-admins gpuXusers@lan' }, 'set:'],
    ['a user name is matched whole, not as a part', { user: 'datasciencelab2' }, 'set:'],
    ['a uid without a name is not exempt', { user: '' }, 'set:'],
    ['set -eu in the sourcing shell is fine (normal user)', { user: 'alice', before: 'set -eu' }, 'set:'],
    ['set -eu in the sourcing shell is fine (exempt user)', { user: 'datasciencelab', before: 'set -eu' }, 'unset'],
    ['set -eu with a failing id is fine', { user: '', before: 'set -eu' }, 'set:'],
    ['an odd IFS does not break group matching', { user: 'bob', groups: 'bob ds01-admin', before: 'IFS=.@' }, 'unset'],
    ['globbing characters in the working directory do not matter', { user: 'bob', groups: 'bob *', before: 'cd /' }, 'set:'],
  ];

  for (const shell of SHELLS) {
    for (const [name, login, expected] of cases) {
      it(`${shell}: ${name}`, async () => {
        const res = await source(shell, script, login);
        expect(res.stderr).toBe('');
        expect(res.out).toBe(`CUDA_VISIBLE_DEVICES=${expected}|after`);
        expect(res.exitCode).toBe(0);
      });
    }

    it(`${shell}: leaves an inherited value alone for an exempt user`, async () => {
      const res = await source(shell, script, { user: 'datasciencelab', env: { CUDA_VISIBLE_DEVICES: '0,1' } });
      expect(res.out).toBe('CUDA_VISIBLE_DEVICES=set:0,1|after');
    });

    it(`${shell}: exports the variable (child processes see it empty)`, async () => {
      const res = await execa(shell, ['-c', `. ${shQuote(script)}; printenv CUDA_VISIBLE_DEVICES; echo "rc=$?"`], {
        env: shellEnv({ FAKE_USER: 'alice', FAKE_GROUPS: 'alice' }),
        ...quiet,
        stripFinalNewline: false,
      });
      expect(res.stdout).toBe('\nrc=0\n');
    });
  }

  it('round-trips awkward values exactly through printenv in dash and bash', async () => {
    const generated = fc.sample(
      fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0')),
      { numRuns: 40, seed: 42 },
    );
    const values = [...awkwardValues, ...generated];
    const env = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const roundTrip = await writeScript(renderProfileScript(resource({ env, exempt: { users: [], groups: [] } })));
    for (const shell of SHELLS) {
      const outDir = await fs.mkdtemp(path.join(work, `${shell}-out-`));
      const dump = values.map((_v, i) => `printenv V${i} > ${shQuote(path.join(outDir, `V${i}`))}`).join('\n');
      await execa(shell, ['-c', `. ${shQuote(roundTrip)}\n${dump}`], {
        env: shellEnv({ FAKE_USER: 'alice', FAKE_GROUPS: 'alice' }),
        ...quiet,
      });
      for (const [i, v] of values.entries()) {
        const got = await fs.readFile(path.join(outDir, `V${i}`));
        expect({ shell, i, got: got.toString('utf8') }).toEqual({ shell, i, got: `${v}\n` });
      }
    }
  });
});
