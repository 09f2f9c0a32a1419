// promtool is not available in CI; this checks the alert file parses as YAML
// in the rule-group shape and only uses metrics reconcile (or node_exporter's
// textfile collector) actually writes.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { renderPrometheus } from '../../src/rules/prometheus.js';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const FILE = path.resolve('packaging/prometheus/reconcile-alerts.yml');

describe('packaging/prometheus/reconcile-alerts.yml', () => {
  let rules: AlertRule[];
  beforeAll(async () => {
    const doc = parse(await fs.readFile(FILE, 'utf8')) as { groups: Array<{ name: string; rules: AlertRule[] }> };
    expect(Object.keys(doc)).toEqual(['groups']);
    expect(doc.groups).toHaveLength(1);
    rules = doc.groups[0]!.rules;
  });

  it('has the expected alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'ReconcileDrift',
      'ReconcileCriticalFinding',
      'ReconcileWarningFinding',
      'ReconcileCheckFailed',
      'ReconcileCheckStale',
    ]);
  });

  it('gives every alert an expression, a duration, a severity and a summary', () => {
    for (const r of rules) {
      expect(Object.keys(r).every((k) => ['alert', 'expr', 'for', 'labels', 'annotations'].includes(k))).toBe(true);
      expect(typeof r.expr).toBe('string');
      expect(r.for).toMatch(/^[0-9]+[smhd]$/);
      expect(['critical', 'warning', 'info']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
    }
  });

  it('uses only metric names that exist', () => {
    const ours = new Set(
      renderPrometheus({ changes: [], findings: [], rules: [], success: true, nowSeconds: 0 })
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .map((l) => l.split(' ')[2]!),
    );
    const known = new Set([...ours, 'node_textfile_mtime_seconds']);
    for (const r of rules) {
      for (const name of r.expr.match(/\b(reconcile|node)_[a-z_]+/g) ?? []) expect(known).toContain(name);
    }
    expect(rules.find((r) => r.alert === 'ReconcileCheckStale')!.expr).toContain('node_textfile_mtime_seconds');
    expect(rules.find((r) => r.alert === 'ReconcileCriticalFinding')!.expr).toContain('severity="critical"');
  });
});
