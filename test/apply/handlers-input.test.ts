// Handlers and notify in the desired state: every bad input is one located paragraph.

import { loadDesiredTexts, validateDesiredStateText } from '../../src/model/load.js';
import { expectUserError } from '../model/fixtures/expect-user-error.js';

const F = 'h.yaml';
const RES = `resources:\n  - id: conf\n    kind: file\n    path: /etc/x.conf\n    content: "x"\n    notify: [reload]\n`;

describe('handlers and notify: bad input', () => {
  it('accepts a handler declared in another file of the same desired state', async () => {
    const resources = await loadDesiredTexts([
      { path: 'a.yaml', text: `version: 1\n${RES}` },
      { path: 'b.yaml', text: 'version: 1\nresources: []\nhandlers:\n  - id: reload\n    command: [systemctl, daemon-reload]\n' },
    ]);
    expect(resources[0]).toMatchObject({ id: 'conf', notify: ['reload'] });
  });

  it('notify naming no handler: located at the entry, lists the declared ids', async () => {
    await expectUserError(
      validateDesiredStateText(`version: 1\nhandlers:\n  - id: restart\n    command: [/bin/true]\n${RES}`, F),
      `${F}:10:14: resources[0].notify[0]: no handler has the id \`reload\` (declared: restart).`,
    );
  });

  it('notify: a list of ids', async () => {
    await expectUserError(validateDesiredStateText(`version: 1\n${RES.replace('notify: [reload]', 'notify: reload')}`, F), `${F}:7:13: resources[0].notify: expected a list`);
  });

  it('command: a list, not a shell string', async () => {
    await expectUserError(
      validateDesiredStateText('version: 1\nresources: []\nhandlers:\n  - id: r\n    command: "systemctl daemon-reload"\n', F),
      `${F}:5:14: handlers[0].command:`,
      /no shell/,
    );
  });

  it('command: not empty', async () => {
    await expectUserError(validateDesiredStateText('version: 1\nresources: []\nhandlers:\n  - id: r\n    command: []\n', F), `${F}:5:14: handlers[0].command:`);
  });

  it('handler id: required and well formed', async () => {
    await expectUserError(validateDesiredStateText('version: 1\nresources: []\nhandlers:\n  - command: [/bin/true]\n', F), `${F}:4:5: handlers[0].id: missing required key`);
    await expectUserError(validateDesiredStateText('version: 1\nresources: []\nhandlers:\n  - id: Bad Id\n    command: [/bin/true]\n', F), `${F}:4:9: handlers[0].id:`);
  });

  it('runUnderRoot and timeoutSeconds: typed', async () => {
    await expectUserError(validateDesiredStateText('version: 1\nresources: []\nhandlers:\n  - id: r\n    command: [/bin/true]\n    runUnderRoot: "yes"\n', F), `${F}:6:19: handlers[0].runUnderRoot:`);
    await expectUserError(validateDesiredStateText('version: 1\nresources: []\nhandlers:\n  - id: r\n    command: [/bin/true]\n    timeoutSeconds: 0\n', F), `${F}:6:21: handlers[0].timeoutSeconds:`);
  });

  it('an unknown handler key is refused', async () => {
    await expectUserError(validateDesiredStateText('version: 1\nresources: []\nhandlers:\n  - id: r\n    command: [/bin/true]\n    shell: true\n', F), `${F}:6:5: handlers[0]`);
  });

  it('a handler id declared twice across files', async () => {
    const h = 'version: 1\nresources: []\nhandlers:\n  - id: reload\n    command: [/bin/true]\n';
    await expectUserError(loadDesiredTexts([{ path: 'a.yaml', text: h }, { path: 'b.yaml', text: h }]), 'b.yaml:4:9: handlers[0].id: duplicate handler id `reload`, already declared at a.yaml:4:5.');
  });
});
