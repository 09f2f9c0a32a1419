// The textfile must parse as Prometheus text exposition format: checked line
// by line with a small parser written from the format's grammar.

import type { Change } from '../../src/plan/types.js';
import { escapeLabelValue, renderPrometheus } from '../../src/rules/prometheus.js';
import type { Finding, Rule } from '../../src/rules/types.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parses exposition text; throws on anything the format does not allow. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; helps: Map<string, string> } {
  expect(text.endsWith('\n')).toBe(true);
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) {
      expect(m[1]).toMatch(METRIC);
      expect(helps.has(m[1]!)).toBe(false);
      helps.set(m[1]!, m[2]!);
    } else if ((m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      expect(types.has(m[1]!)).toBe(false);
      // TYPE must come before the metric's first sample.
      expect(samples.some((s) => s.name === m![1])).toBe(false);
      types.set(m[1]!, m[2]!);
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line))) {
      const labels: Record<string, string> = {};
      if (m[2]) {
        const body = m[2].slice(1, -1);
        const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
        let pos = 0;
        while (pos < body.length) {
          re.lastIndex = pos;
          const lm = re.exec(body);
          if (!lm) throw new Error(`bad label set in: ${line}`);
          labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
          pos = re.lastIndex;
        }
      }
      const value = Number(m[3]);
      if (Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
      samples.push({ name: m[1]!, labels, value });
    } else {
      throw new Error(`not exposition format: ${JSON.stringify(line)}`);
    }
  }
  for (const s of samples) {
    expect(types.get(s.name)).toBe('gauge');
    expect(helps.has(s.name)).toBe(true);
  }
  return { samples, types, helps };
}

const rule = (id: string, severity: Rule['severity']): Rule => ({
  id,
  severity,
  title: id,
  why: '',
  remediation: '',
  match: { type: 'file-content', paths: ['/x'], when: 'present' },
  source: { file: 'x', line: 1, column: 1 },
});

const finding = (r: string, severity: Finding['severity'], status: Finding['status'] = 'fail'): Finding => ({
  rule: r,
  severity,
  target: '/x',
  message: 'm',
  remediation: '',
  status,
});

const change = (kind: Change['kind']): Change =>
  ({ resource: 'r', kind, target: '/t', action: 'update', summary: '', expect: { type: 'absent' }, op: { type: 'remove', recursive: false } }) as Change;

describe('renderPrometheus', () => {
  const rules = [rule('nvidia-smi-wrapper', 'critical'), rule('nvidia-smi-cache', 'warning'), rule('verify-x', 'critical')];
  const text = renderPrometheus({
    changes: [change('group'), change('device-mode'), change('device-mode')],
    findings: [
      finding('nvidia-smi-wrapper', 'critical'),
      finding('nvidia-smi-wrapper', 'critical'),
      finding('verify-x', 'critical', 'skipped'),
    ],
    rules,
    success: true,
    nowSeconds: 1767225600,
  });
  const parsed = parseExposition(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    parsed.samples.filter((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels)).map((s) => s.value);

  it('counts drift per resource kind, with zeros for every other kind', () => {
    expect(value('reconcile_drift_changes', { kind: 'device-mode' })).toEqual([2]);
    expect(value('reconcile_drift_changes', { kind: 'group' })).toEqual([1]);
    for (const kind of ['file', 'absent', 'profile-env', 'restore-original']) {
      expect(value('reconcile_drift_changes', { kind })).toEqual([0]);
    }
  });

  it('counts failing findings per rule and severity, 0 for passing rules and skipped probes', () => {
    expect(value('reconcile_findings', { rule: 'nvidia-smi-wrapper', severity: 'critical' })).toEqual([2]);
    expect(value('reconcile_findings', { rule: 'nvidia-smi-cache', severity: 'warning' })).toEqual([0]);
    expect(value('reconcile_findings', { rule: 'verify-x', severity: 'critical' })).toEqual([0]);
  });

  it('reports success and the time of the check', () => {
    expect(value('reconcile_check_success')).toEqual([1]);
    expect(value('reconcile_last_check_timestamp_seconds')).toEqual([1767225600]);
  });

  it('writes drift, findings and the plan-error count, with success 0, when some resources could not be planned', () => {
    const partial = parseExposition(
      renderPrometheus({
        changes: [change('absent')],
        findings: [finding('nvidia-smi-wrapper', 'critical')],
        rules,
        success: false,
        planErrors: 2,
        nowSeconds: 1,
      }),
    );
    const v = (name: string, labels: Record<string, string> = {}) =>
      partial.samples.filter((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels)).map((s) => s.value);
    expect(v('reconcile_findings', { rule: 'nvidia-smi-wrapper', severity: 'critical' })).toEqual([1]);
    expect(v('reconcile_drift_changes', { kind: 'absent' })).toEqual([1]);
    expect(v('reconcile_plan_errors')).toEqual([2]);
    expect(v('reconcile_check_success')).toEqual([0]);
  });

  it('writes reconcile_plan_errors 0 when every resource was planned', () => {
    expect(value('reconcile_plan_errors')).toEqual([0]);
  });

  it('writes only success=0 and the timestamp when nothing could be evaluated', () => {
    const failed = parseExposition(
      renderPrometheus({ changes: [], findings: [], rules, success: false, assessed: false, nowSeconds: 1767225600.5 }),
    );
    expect(failed.samples.map((s) => [s.name, s.value])).toEqual([
      ['reconcile_check_success', 0],
      ['reconcile_last_check_timestamp_seconds', 1767225600.5],
    ]);
  });

  it('escapes label values so odd rule ids still parse and round-trip', () => {
    const odd = 'a"b\\c\nd';
    expect(escapeLabelValue(odd)).toBe('a\\"b\\\\c\\nd');
    const out = parseExposition(
      renderPrometheus({ changes: [], findings: [finding(odd, 'info')], rules: [], success: true, nowSeconds: 1 }),
    );
    expect(out.samples.find((s) => s.name === 'reconcile_findings')!.labels.rule).toBe(odd);
  });
});
