// service: the pure diff for every unit-file and active state, and bad input
// per key. The real systemctl runs in test/integration/debian/service-package.test.ts.

import { serviceHandler } from '../../../src/kinds/service/service.js';
import type { ServiceResource } from '../../../src/kinds/service/types.js';
import { validateDesiredStateText } from '../../../src/model/load.js';
import { testSource } from '../../helpers/resources.js';
import { expectUserError } from '../../model/fixtures/expect-user-error.js';

const unit = (over: Partial<ServiceResource> = {}): ServiceResource => ({
  kind: 'service',
  id: 'exporter',
  source: testSource,
  unit: 'ds01-exporter.service',
  ...over,
});

describe('service diff', () => {
  it('plans nothing when the unit is enabled and active as wanted', () => {
    const r = serviceHandler.diff(unit({ enabled: true, active: true }), { enabled: 'enabled', active: 'active' });
    expect(r).toEqual({ changes: [], unchanged: [{ resource: 'exporter', kind: 'service', target: 'ds01-exporter.service' }], notes: [], errors: [] });
  });

  it('enables and starts a disabled, inactive unit in one change', () => {
    const r = serviceHandler.diff(unit({ enabled: true, active: true }), { enabled: 'disabled', active: 'inactive' });
    expect(r.changes).toEqual([
      expect.objectContaining({
        target: 'ds01-exporter.service',
        action: 'update',
        summary: 'ds01-exporter.service: enable (now disabled); start (now inactive)',
        expect: { type: 'service', enabled: 'disabled', active: 'inactive' },
        op: { type: 'service', unit: 'ds01-exporter.service', enable: true, start: true },
      }),
    ]);
  });

  it('disables and stops when asked to', () => {
    const r = serviceHandler.diff(unit({ enabled: false, active: false }), { enabled: 'enabled', active: 'active' });
    expect(r.changes[0]!.op).toEqual({ type: 'service', unit: 'ds01-exporter.service', enable: false, start: false });
  });

  it('leaves what the resource does not mention', () => {
    const r = serviceHandler.diff(unit({ enabled: true }), { enabled: 'enabled', active: 'failed' });
    expect(r.changes).toEqual([]);
  });

  it('under --root (active null) starting is a note, never an error or a change', () => {
    const r = serviceHandler.diff(unit({ enabled: true, active: true }), { enabled: 'enabled', active: null });
    expect(r.changes).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.notes).toEqual([expect.objectContaining({ level: 'info', message: expect.stringMatching(/not possible under --root/) })]);
  });

  it('a static unit cannot be enabled: a note, nothing planned', () => {
    const r = serviceHandler.diff(unit({ enabled: true }), { enabled: 'static', active: 'inactive' });
    expect(r.changes).toEqual([]);
    expect(r.notes[0]!.message).toMatch(/static/);
  });

  it('a masked unit is an error naming the fix, not unmasked behind the operator\'s back', () => {
    const r = serviceHandler.diff(unit({ enabled: true }), { enabled: 'masked', active: 'inactive' });
    expect(r.changes).toEqual([]);
    expect(r.errors[0]!.message).toMatch(/masked.*systemctl unmask ds01-exporter.service/);
  });

  it('a missing unit is an error for the resource', () => {
    const r = serviceHandler.diff(unit({ enabled: true }), { enabled: 'not-found', active: 'inactive' });
    expect(r.errors[0]!.message).toMatch(/unit ds01-exporter.service does not exist/);
  });
});

describe('service bad input', () => {
  const F = 'svc.yaml';
  const doc = (body: string) => `version: 1\nresources:\n  - id: s\n    kind: service\n${body}`;
  const check = (body: string) => validateDesiredStateText(doc(body), F);

  it('normalises "cron" to "cron.service", as systemctl does', async () => {
    const [r] = await check('    unit: cron\n    enabled: true\n');
    expect(r).toMatchObject({ kind: 'service', unit: 'cron.service', enabled: true });
  });

  it('unit: required', async () => {
    await expectUserError(check('    enabled: true\n'), `${F}:3:5:`, /unit/);
  });

  it('unit: no paths or spaces', async () => {
    await expectUserError(check('    unit: /etc/systemd/system/x.service\n    enabled: true\n'), `${F}:5:11:`, /unit name/);
  });

  it('enabled: a boolean', async () => {
    await expectUserError(check('    unit: cron\n    enabled: "yes"\n'), `${F}:6:14: resources[0].enabled: expected true or false`);
  });

  it('active: a boolean', async () => {
    await expectUserError(check('    unit: cron\n    active: 1\n'), `${F}:6:13: resources[0].active: expected true or false`);
  });

  it('neither enabled nor active: says what to add', async () => {
    await expectUserError(check('    unit: cron\n'), `${F}:3:5:`, /`enabled: true\|false`, `active: true\|false`, or both/);
  });
});
