import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/errors.js';
import { loadRules } from '../../src/rules/load.js';

const BUILTIN_IDS = [
  'cuda-awareness-missing',
  'device-create-wrapper',
  'device-node-restricted',
  'module-params-pending-reload',
  'nvidia-smi-cache',
  'nvidia-smi-wrapper',
  'restrictive-device-params',
  'restrictive-udev-rule',
  'video-group-restricted',
];

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-rules-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function writeRule(dir: string, name: string, text: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const p = path.join(dir, name);
  await fs.writeFile(p, text);
  return p;
}

const VALID = `id: my-rule
severity: warning
title: A cache file exists
why: Because it once hid a broken tool.
match:
  type: file-content
  paths: [/var/cache/thing]
  when: present
remediation: Remove it with an absent resource.
`;

async function loadError(dirs: string[]): Promise<string> {
  try {
    await loadRules(dirs);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected loadRules to fail');
}

describe('loadRules', () => {
  it('loads every built-in rule with its source location', async () => {
    const rules = await loadRules([]);
    const ids = rules.map((r) => r.id);
    for (const id of BUILTIN_IDS) expect(ids).toContain(id);
    const wrapper = rules.find((r) => r.id === 'nvidia-smi-wrapper')!;
    expect(wrapper.severity).toBe('critical');
    expect(wrapper.source.file).toMatch(/rules\/nvidia-smi-wrapper\.yaml$/);
    expect(wrapper.source).toMatchObject({ line: 1, column: 1 });
    expect(rules.find((r) => r.id === 'module-params-pending-reload')!.severity).not.toBe('info');
  });

  it('adds rules from a user directory', async () => {
    await writeRule(tmp, 'my-rule.yaml', VALID);
    const rules = await loadRules([tmp]);
    expect(rules.map((r) => r.id)).toContain('my-rule');
  });

  it('ends a "did you mean" fix with the question mark, not "?."', async () => {
    await writeRule(tmp, 'sev.yaml', VALID.replace('severity: warning', 'severity: critcal'));
    const msg = await loadError([tmp]);
    expect(msg).toMatch(/Fix: did you mean `critical`\?$/);
  });

  it('reports an unknown key with file:line:col, key path and a fix', async () => {
    const file = await writeRule(tmp, 'bad.yaml', VALID.replace('  when: present\n', '  when: present\n  patern: x\n'));
    const msg = await loadError([tmp]);
    expect(msg).toContain(`${file}:9:3: match.patern: unknown key \`patern\``);
    expect(msg).toMatch(/Fix: did you mean `pattern`\?/);
    expect(msg).not.toContain('\n');
  });

  it('reports an unknown top-level key', async () => {
    const file = await writeRule(tmp, 'bad.yaml', VALID + 'sevrity: info\n');
    const msg = await loadError([tmp]);
    expect(msg).toContain(`${file}:10:1: sevrity: unknown key`);
  });

  it('reports an unknown match type and names the known ones', async () => {
    const file = await writeRule(tmp, 'bad.yaml', VALID.replace('type: file-content', 'type: file-contents'));
    const msg = await loadError([tmp]);
    expect(msg).toContain(`${file}:6:9: match.type: unknown match type "file-contents"`);
    expect(msg).toContain('did you mean `file-content`?');
  });

  it('reports a bad severity', async () => {
    const file = await writeRule(tmp, 'bad.yaml', VALID.replace('severity: warning', 'severity: high'));
    const msg = await loadError([tmp]);
    expect(msg).toContain(`${file}:2:11: severity:`);
    expect(msg).toContain('`critical`, `warning`, `info`');
  });

  it('reports a missing required key', async () => {
    await writeRule(tmp, 'bad.yaml', VALID.replace(/remediation:.*\n/, ''));
    expect(await loadError([tmp])).toContain('missing required key `remediation`');
  });

  it('rejects a mode YAML would read as decimal', async () => {
    await writeRule(
      tmp,
      'bad.yaml',
      VALID.replace(/match:[\s\S]*?remediation/, 'match:\n  type: path-mode\n  paths: [/dev/x]\n  allowedModes: [0666]\nremediation'),
    );
    expect(await loadError([tmp])).toMatch(/match\.allowedModes\[0\]: expected a string/);
  });

  it('reports a regular expression that does not compile', async () => {
    const file = await writeRule(tmp, 'bad.yaml', VALID.replace('  when: present\n', '  when: present\n  pattern: "(unclosed"\n'));
    const msg = await loadError([tmp]);
    expect(msg).toContain(`${file}:9:12: match.pattern: not a valid regular expression`);
  });

  it('reports YAML syntax errors with a position', async () => {
    const file = await writeRule(tmp, 'bad.yaml', 'id: x\n  severity: [\n');
    expect(await loadError([tmp])).toContain(`${file}:`);
  });

  it('refuses a duplicate id across directories, naming both files', async () => {
    const a = await writeRule(path.join(tmp, 'a'), 'one.yaml', VALID);
    const b = await writeRule(path.join(tmp, 'b'), 'two.yaml', VALID);
    const msg = await loadError([path.join(tmp, 'a'), path.join(tmp, 'b')]);
    expect(msg).toContain(`${b}:1:1`);
    expect(msg).toContain(`${a}:1:1`);
    expect(msg).toContain('`my-rule`');
  });

  it('refuses a user rule that reuses a built-in id', async () => {
    await writeRule(tmp, 'x.yaml', VALID.replace('id: my-rule', 'id: nvidia-smi-cache'));
    expect(await loadError([tmp])).toMatch(/rules\/nvidia-smi-cache\.yaml:1:1/);
  });

  it('says what a rule file needs when it is empty', async () => {
    const file = await writeRule(tmp, 'empty.yaml', '# nothing yet\n');
    expect(await loadError([tmp])).toBe(
      `${file}:1:1: the rule file is empty. Fix: write one rule (id, severity, title, why, match, remediation; see the built-in rules/*.yaml), or remove the file.`,
    );
  });

  it('refuses a missing --rules directory', async () => {
    expect(await loadError([path.join(tmp, 'nope')])).toMatch(/does not exist\. Fix: pass --rules a directory/);
  });
});
