// Bad desired state: every error points at file:line:column and the key path,
// says what is wrong and how to fix it, in one paragraph without a stack.

import { validateDesiredStateText } from '../../src/model/load.js';
import { MAX_ALIAS_EXPANSION, MAX_NESTING_DEPTH } from '../../src/model/parse-yaml.js';
import { expectUserError } from './fixtures/expect-user-error.js';

const F = 'ds.yaml';
const check = (text: string) => validateDesiredStateText(text, F);

const deviceMode = (mode: string) =>
  `version: 1\nresources:\n  - id: gpus\n    kind: device-mode\n    paths: [/dev/nvidiactl]\n    mode: ${mode}\n    owner: root\n    group: root\n`;

describe('YAML itself', () => {
  test('malformed YAML: syntax error with its position', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: a\n    kind: "absent\n'),
      `${F}:4:11: YAML syntax error: the quoted string that starts here is never closed. Fix: add the closing ".`,
    );
  });

  test('a key said twice', async () => {
    await expectUserError(check('version: 1\nversion: 1\nresources: []\n'), `${F}:2:1: YAML syntax error: Map keys must be unique`);
  });

  test('an unclosed single quote with an escaped quote inside', async () => {
    await expectUserError(
      check("version: 1\nresources:\n  - id: 'it''s\n    kind: absent\n"),
      `${F}:3:9: YAML syntax error: the quoted string that starts here is never closed.`,
    );
  });

  test('an unclosed flow list', async () => {
    await expectUserError(check('version: 1\nresources:\n  - id: a\n    paths: [/x, /y\n'), `${F}:5:1: YAML syntax error:`);
  });

  test('a list used as a key', async () => {
    await expectUserError(check('version: 1\n? [a, b]\n: 1\nresources: []\n'), `${F}:2:3: a key is a list or mapping.`, /Fix:/);
  });

  test('a tab used for indentation', async () => {
    await expectUserError(check('version: 1\nresources:\n\t- id: a\n'), `${F}:3:1: YAML syntax error:`, /spaces/);
  });

  test('YAML warnings are errors too (unknown tag)', async () => {
    await expectUserError(check('version: 1\nresources: !weird []\n'), `${F}:2:12: YAML problem:`, /remove the `!` tag/);
  });

  test('two documents in one file', async () => {
    await expectUserError(check('version: 1\nresources: []\n---\nversion: 1\n'), `${F}:3:1: YAML syntax error: the file holds more than one YAML document.`, /one YAML document per file/);
  });

  test('an empty file', async () => {
    await expectUserError(check('# nothing yet\n'), `${F}:1:1: the file is empty.`);
  });

  test('the top level is not a mapping', async () => {
    await expectUserError(check('- id: a\n'), `${F}:1:1: (top level): expected a mapping, found a list.`, /start it with `version: 1`/);
  });

  test('a resource that is not a mapping', async () => {
    await expectUserError(check('version: 1\nresources:\n  - gpu-modes\n'), `${F}:3:5: resources[0]: expected a mapping, found "gpu-modes".`);
  });
});

describe('keys and types', () => {
  test('unknown top-level key, with a suggestion', async () => {
    await expectUserError(
      check('version: 1\nresource: []\n'),
      `${F}:2:1: resource: unknown key \`resource\` at the top level. Fix: did you mean \`resources\`?`,
    );
  });

  test('unknown resource key points at the key and suggests the near miss', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: old\n    kind: absent\n    path: /etc/x\n'),
      `${F}:5:5: resources[0].path: unknown key \`path\` in an \`absent\` resource. Fix: did you mean \`paths\`?`,
    );
  });

  test('unknown key with nothing close lists the allowed keys', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: g\n    kind: group\n    group: video\n    members: [a]\n    colour: blue\n'),
      `${F}:7:5: resources[0].colour: unknown key \`colour\` in a \`group\` resource. Fix: remove it; the keys allowed here are \`id\`, \`kind\`, \`description\`, \`notify\`, \`prune\`, \`group\`, \`members\`, \`include\`, \`exclusive\`.`,
    );
  });

  test('unknown key in a nested mapping', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: w\n    kind: absent\n    paths: [/x]\n    onlyIf:\n      contentMatch: wrapper\n'),
      `${F}:7:7: resources[0].onlyIf.contentMatch: unknown key \`contentMatch\` here. Fix: did you mean \`contentMatches\`?`,
    );
  });

  test('wrong type', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: g\n    kind: group\n    group: video\n    members: alice\n'),
      `${F}:6:14: resources[0].members: expected a list, found "alice".`,
    );
  });

  test('wrong type for a boolean', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: g\n    kind: group\n    group: video\n    members: [a]\n    exclusive: "yes"\n'),
      `${F}:7:16: resources[0].exclusive: expected true or false, found "yes".`,
    );
  });

  test('missing required key points at the resource', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: r\n    kind: restore-original\n    path: /usr/sbin/x\n'),
      `${F}:3:5: resources[0].original: missing required key \`original\` in a \`restore-original\` resource.`,
      /add `original:`/,
    );
  });

  test('a present file without content', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: f\n    kind: file\n    path: /etc/motd\n'),
      `${F}:3:5: resources[0].content: missing required key \`content\``,
      /set `state: absent`/,
    );
  });

  test('content on an absent file', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: f\n    kind: file\n    path: /etc/motd\n    state: absent\n    content: x\n'),
      `${F}:7:14: resources[0].content: \`content\` has no meaning for a file with \`state: absent\`.`,
    );
  });

  test('missing top-level version', async () => {
    await expectUserError(check('resources: []\n'), `${F}:1:1: version: missing required key \`version\`.`);
  });

  test('wrong version', async () => {
    await expectUserError(check('version: 2\nresources: []\n'), `${F}:1:10: version: 2 is not allowed here; expected 1.`);
  });

  test('a group with neither members nor include', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: g\n    kind: group\n    group: video\n    members: []\n'),
      `${F}:3:5: resources[0]: this resource is incomplete.`,
      /at least one user in `members` or one group in `include`/,
    );
  });

  test('a member name starting with "-"', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: g\n    kind: group\n    group: video\n    members: [ok, -rf]\n'),
      `${F}:6:19: resources[0].members[1]: "-rf" is not a valid user or group name.`,
    );
  });

  test('a bad variable name in env points at the key', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: p\n    kind: profile-env\n    path: /etc/profile.d/p.sh\n    env:\n      CUDA-DEVICES: ""\n'),
      `${F}:7:7: resources[0].env["CUDA-DEVICES"]: "CUDA-DEVICES" is not a valid variable name.`,
    );
  });

  test('a profile-env script outside /etc/profile.d', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: p\n    kind: profile-env\n    path: /etc/environment\n    env: {A: x}\n'),
      `${F}:5:11: resources[0].path: "/etc/environment" is not a valid profile.d script path.`,
    );
  });

  test('a bad id', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: GPU Modes\n    kind: absent\n    paths: [/x]\n'),
      `${F}:3:9: resources[0].id: "GPU Modes" is not a valid resource id.`,
    );
  });

  test('an enum near miss', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: f\n    kind: file\n    path: /x\n    state: absnet\n'),
      `${F}:6:12: resources[0].state: "absnet" is not one of \`present\`, \`absent\`. Fix: did you mean \`absent\`?`,
    );
  });
});

describe('kinds', () => {
  test('unknown kind: one error listing the valid kinds', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: x\n    kind: cronjob\n    path: /x\n'),
      `${F}:4:11: resources[0].kind: unknown kind "cronjob". Fix: \`kind\` is one of \`file\`, \`absent\`, \`profile-env\`, \`group\`, \`device-mode\`, \`restore-original\`, \`symlink\`, \`directory\`, \`permissions\`, \`service\`, \`package\`, \`generated\`.`,
    );
  });

  test('near-miss kind', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: x\n    kind: device_mode\n'),
      `${F}:4:11: resources[0].kind: unknown kind "device_mode". Fix: did you mean \`device-mode\`?`,
    );
  });

  test('missing kind', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: x\n    path: /x\n'),
      `${F}:3:5: resources[0].kind: missing required key \`kind\`.`,
    );
  });
});

describe('modes', () => {
  test('"0999" is not octal', async () => {
    await expectUserError(
      check(deviceMode('"0999"')),
      `${F}:6:11: resources[0].mode: "0999" is not a valid mode.`,
      /octal digits/,
    );
  });

  test('an unquoted 0666 is decimal 666 in YAML 1.2: say so and show the quoted form', async () => {
    await expectUserError(
      check(deviceMode('0666')),
      `${F}:6:11: resources[0].mode: expected a string, found 666 (written \`0666\`).`,
      /YAML 1\.2 reads an unquoted `0666` as the number 666/,
      /mode: "0666"/,
    );
  });

  test('an unquoted 0o666 gets the same advice', async () => {
    await expectUserError(check(deviceMode('0o666')), `${F}:6:11: resources[0].mode: expected a string, found 438 (written \`0o666\`).`, /mode: "0666"/);
  });
});

describe('paths and patterns', () => {
  test('a relative path', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: a\n    kind: absent\n    paths:\n      - /ok\n      - etc/x\n'),
      `${F}:7:9: resources[0].paths[1]: "etc/x" is not a valid absolute path or glob.`,
      /start with `\/`/,
    );
  });

  test('a `..` segment', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: r\n    kind: restore-original\n    path: /usr/sbin/x\n    original: /usr/sbin/../../etc/shadow\n    wrapperMatches: w\n'),
      `${F}:6:15: resources[0].original: "/usr/sbin/../../etc/shadow" contains a \`..\` segment.`,
    );
  });

  test('a path that is not normalised', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: f\n    kind: file\n    path: /etc//./motd/\n    content: x\n'),
      `${F}:5:11: resources[0].path: "/etc//./motd/" is not a normalised path`,
      /write "\/etc\/motd"/,
    );
  });

  test('a regex that does not compile', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: w\n    kind: absent\n    paths: [/x]\n    onlyIf:\n      linkTargetMatches: "nvidia-(wrapper"\n'),
      `${F}:7:26: resources[0].onlyIf.linkTargetMatches: "nvidia-(wrapper" is not a valid regular expression`,
      /escape literal characters/,
    );
  });

  test('an unclosed [ in a glob fails at load, located', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: gpus\n    kind: device-mode\n    paths:\n      - /dev/nvidia[abc\n    mode: "0666"\n    owner: root\n    group: root\n'),
      `${F}:6:9: resources[0].paths[0]: "/dev/nvidia[abc" is not a valid glob: glob "nvidia[abc": the [ at character 7 is never closed`,
    );
  });

  test('a glob with a range written backwards fails at load, located, not as an internal error at plan time', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: x\n    kind: absent\n    paths:\n      - /tmp/ok\n      - "/etc/[z-a]*"\n'),
      `${F}:7:9: resources[0].paths[1]: "/etc/[z-a]*" is not a valid glob: glob "[z-a]*": the range z-a is out of order`,
      /write it as a-z/,
      /Fix: write each path component with only/,
    );
    await expectUserError(
      check('version: 1\nresources:\n  - id: g\n    kind: device-mode\n    paths: ["/dev/nvidia[9-0]"]\n    mode: "0666"\n    owner: root\n    group: root\n'),
      `${F}:5:13: resources[0].paths[0]: "/dev/nvidia[9-0]" is not a valid glob`,
    );
  });

  test('a NUL byte in a path is refused at load', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: w\n    kind: absent\n    paths: ["/etc/a\\0b"]\n'),
      `${F}:5:13: resources[0].paths[0]: "/etc/a\\u0000b" contains a NUL byte`,
    );
    await expectUserError(
      check('version: 1\nresources:\n  - id: f\n    kind: file\n    path: "/etc/x\\x00"\n    content: x\n'),
      `${F}:5:11: resources[0].path: "/etc/x\\u0000" contains a NUL byte`,
    );
  });

  test('two resources for one literal path or group: located at the second, naming the first', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: x\n    kind: file\n    path: /etc/x\n    content: hi\n  - id: y\n    kind: file\n    path: /etc/x\n    content: bye\n'),
      `${F}:9:11: resources[1].path: /etc/x is already managed by resource x (${F}:3:5)`,
      /Fix: keep one resource for \/etc\/x: merge y into x, or remove one/,
    );
    await expectUserError(
      check('version: 1\nresources:\n  - id: a\n    kind: group\n    group: video\n    members: [root]\n  - id: b\n    kind: group\n    group: video\n    members: [bin]\n'),
      `${F}:9:12: resources[1].group: group video is already managed by resource a (${F}:3:5)`,
    );
  });

  test('an empty guard', async () => {
    await expectUserError(
      check('version: 1\nresources:\n  - id: w\n    kind: absent\n    paths: [/x]\n    onlyIf: {}\n'),
      `${F}:6:13: resources[0].onlyIf: the mapping is empty.`,
      /`contentMatches`, `linkTargetMatches` or both/,
    );
  });
});

describe('input safety', () => {
  test('an alias bomb is rejected quickly', async () => {
    const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('resources: []');
    // Refused by counting nodes before expanding them (timings: bench/hostile-input.ts).
    await expectUserError(check(lines.join('\n')), `${F}:11:`, new RegExp(`at most ${MAX_ALIAS_EXPANSION} are accepted`), /alias bomb/);
  });

  test('amplification within the alias count: 30 aliases that expand to a million nodes', async () => {
    // Few aliases, each of a big list: the alias count alone does not bound the cost.
    const lines = ['version: 1', `a0: &a0 [${Array(1000).fill('x').join(', ')}]`];
    for (let i = 1; i <= 3; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('resources: []');
    const err = await expectUserError(check(lines.join('\n')), `${F}:5:`, /would expand this file by \d+ nodes/, /alias bomb/);
    expect(Number(/by (\d+) nodes/.exec(err.message)![1])).toBeGreaterThan(MAX_ALIAS_EXPANSION);
  });

  test('aliases that add little are fine', async () => {
    const text = 'version: 1\nx-modes: &m {mode: "0666", owner: root, group: root}\nresources: []\n';
    await expect(check(text)).rejects.toThrow(/x-modes/); // judged by the schema, not refused as a bomb
  });

  test('block nesting deeper than the cap', async () => {
    let text = 'version: 1\nresources:\n  - id: d\n    kind: file\n    path: /x\n    content:\n';
    for (let i = 0; i < MAX_NESTING_DEPTH; i++) text += `${' '.repeat(6 + 2 * i)}k:\n`;
    text += `${' '.repeat(6 + 2 * MAX_NESTING_DEPTH)}v\n`;
    await expectUserError(check(text), `${F}:`, new RegExp(`nesting deeper than ${MAX_NESTING_DEPTH} levels`));
  });

  test('a megabyte of `[` fails at once, at the bracket that crossed the line', async () => {
    await expectUserError(check(`version: 1\nresources: ${'['.repeat(500_000)}`), `${F}:2:1012: nesting deeper`);
  });

  test('nesting at the cap is still parsed (and then judged by the schema)', async () => {
    const text = `version: 1\nresources: []\nextra: ${'['.repeat(MAX_NESTING_DEPTH - 1)}${']'.repeat(MAX_NESTING_DEPTH - 1)}\n`;
    await expectUserError(check(text), `${F}:3:1: extra: unknown key \`extra\``);
  });

  test('an oversized text is refused', async () => {
    await expectUserError(check(`# ${'x'.repeat(1024 * 1024)}\n`), `${F}: the file is`, /split it/);
  });
});
