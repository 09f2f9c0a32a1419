// The smallest valid example of each kind, and what loading fills in.

import { promises as fs } from 'node:fs';
import { validateDesiredStateText } from '../../src/model/load.js';
import { schemaPath } from '../../src/model/schema-errors.js';
import { RESOURCE_KINDS } from '../../src/model/types.js';

const doc = (resource: string) =>
  `version: 1\nresources:\n${resource
    .trim()
    .split('\n')
    .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))
    .join('\n')}\n`;

async function one(resource: string) {
  const rs = await validateDesiredStateText(doc(resource), 'kinds.yaml');
  expect(rs).toHaveLength(1);
  return rs[0];
}

const source = { file: 'kinds.yaml', line: 3, column: 5 };

test('file: present with content; mode optional, no default invented', async () => {
  expect(await one('id: motd\nkind: file\npath: /etc/motd\ncontent: "hello\\n"')).toEqual({
    id: 'motd',
    kind: 'file',
    path: '/etc/motd',
    state: 'present',
    content: 'hello\n',
    source,
  });
});

test('file: mode, owner, group and a block scalar', async () => {
  const r = await one('id: motd\nkind: file\npath: /etc/motd\ncontent: |\n  a\n  b\nmode: "600"\nowner: root\ngroup: adm');
  expect(r).toMatchObject({ content: 'a\nb\n', mode: 0o600, owner: 'root', group: 'adm' });
});

test('file: absent needs no content', async () => {
  expect(await one('id: gone\nkind: file\npath: /etc/gone\nstate: absent')).toEqual({
    id: 'gone',
    kind: 'file',
    path: '/etc/gone',
    state: 'absent',
    source,
  });
});

test('absent: directories are kept unless allowed; no guard by default', async () => {
  expect(await one('id: old\nkind: absent\npaths: [/etc/old.conf, "/usr/local/bin/x-*"]')).toEqual({
    id: 'old',
    kind: 'absent',
    paths: ['/etc/old.conf', '/usr/local/bin/x-*'],
    allowDirectories: false,
    source,
  });
  const r = await one('id: old\nkind: absent\npaths: [/srv/old]\nallowDirectories: true\nonlyIf:\n  contentMatches: "^#!"');
  expect(r).toMatchObject({ allowDirectories: true, onlyIf: { contentMatches: '^#!' } });
});

test('profile-env: exempt lists and mode default', async () => {
  expect(await one('id: p\nkind: profile-env\npath: /etc/profile.d/p.sh\nenv: {A: ""}')).toEqual({
    id: 'p',
    kind: 'profile-env',
    path: '/etc/profile.d/p.sh',
    env: { A: '' },
    exempt: { users: [], groups: [] },
    mode: 0o644,
    source,
  });
  const r = await one(
    'id: p\nkind: profile-env\npath: /etc/profile.d/p.sh\nenv:\n  A: "it\'s $HOME"\n  _b2: x\nexempt:\n  users: [h.baker@hertie-school.lan]\n  groups: [ds01-admin]\n  grantDir: /var/lib/g\nmode: "0640"',
  );
  expect(r).toMatchObject({
    env: { A: "it's $HOME", _b2: 'x' },
    exempt: { users: ['h.baker@hertie-school.lan'], groups: ['ds01-admin'], grantDir: '/var/lib/g' },
    mode: 0o640,
  });
});

test('group: directory-service member names; additive by default', async () => {
  expect(await one('id: g\nkind: group\ngroup: video\nmembers: [h.baker@hertie-school.lan, svc_1]')).toEqual({
    id: 'g',
    kind: 'group',
    group: 'video',
    members: ['h.baker@hertie-school.lan', 'svc_1'],
    include: [],
    exclusive: false,
    source,
  });
  expect(await one('id: g\nkind: group\ngroup: video\ninclude: [docker]\nexclusive: true')).toMatchObject({
    members: [],
    include: ['docker'],
    exclusive: true,
  });
});

test('device-mode: all four keys, mode as a number', async () => {
  expect(await one('id: d\nkind: device-mode\npaths: ["/dev/nvidia[0-9]*"]\nmode: "0666"\nowner: root\ngroup: root')).toEqual({
    id: 'd',
    kind: 'device-mode',
    paths: ['/dev/nvidia[0-9]*'],
    mode: 0o666,
    owner: 'root',
    group: 'root',
    source,
  });
});

test('restore-original', async () => {
  expect(
    await one('id: r\nkind: restore-original\npath: /usr/sbin/x\noriginal: /usr/sbin/x.original\nwrapperMatches: "DS01 wrapper"\ndescription: why'),
  ).toEqual({
    id: 'r',
    kind: 'restore-original',
    description: 'why',
    path: '/usr/sbin/x',
    original: '/usr/sbin/x.original',
    wrapperMatches: 'DS01 wrapper',
    source,
  });
});

test.each([
  ['"644"', 0o644],
  ['"0644"', 0o644],
  ['"4755"', 0o4755],
  ['"01777"', 0o1777],
])('mode %s is %o', async (mode, expected) => {
  const r = await one(`id: d\nkind: device-mode\npaths: [/dev/x]\nmode: ${mode}\nowner: root\ngroup: root`);
  expect(r).toMatchObject({ mode: expected });
});

test('anchors and aliases within the cap are fine', async () => {
  const rs = await validateDesiredStateText(
    'version: 1\nresources:\n  - id: a\n    kind: group\n    group: video\n    members: &people [alice, bob]\n  - id: b\n    kind: group\n    group: render\n    members: *people\n',
    'a.yaml',
  );
  expect(rs.map((r) => (r.kind === 'group' ? r.members : []))).toEqual([
    ['alice', 'bob'],
    ['alice', 'bob'],
  ]);
});

test('the schema knows exactly the kinds the model has', async () => {
  const schema = JSON.parse(await fs.readFile(schemaPath(), 'utf8'));
  expect(schema.definitions.resource.properties.kind.enum).toEqual([...RESOURCE_KINDS]);
  expect(schema.definitions.resource.oneOf).toEqual(RESOURCE_KINDS.map((k) => ({ $ref: `#/definitions/${k}` })));
  for (const k of RESOURCE_KINDS) expect(schema.definitions[k].properties.kind).toEqual({ const: k });
});
