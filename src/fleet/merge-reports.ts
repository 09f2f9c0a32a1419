// The fleet view: the per-host JSON reports (`--check --report`, fetched by
// the Ansible role, one file per host named <host>.json) merged into one
// value, host × rule and host × pending changes. Pure: reading the files is
// the caller's job, so a report that cannot be read is just another input.

export type HostStatus = 'ok' | 'drift' | 'failed';

export interface FleetChange {
  resource: string;
  kind: string;
  target: string;
  action: string;
  summary: string;
}

export interface FleetFinding {
  severity: string;
  count: number;
}

export interface FleetHost {
  host: string;
  /** ok: nothing pending, no warning/critical finding; drift: changes or such findings; failed: an error or no usable report. */
  status: HostStatus;
  checkedAt: string | null;
  pending: { create: number; update: number; delete: number };
  changes: FleetChange[];
  /** Failing findings by rule id. */
  findings: Record<string, FleetFinding>;
  errors: string[];
}

export interface FleetView {
  hosts: FleetHost[];
  /** Rules failing on at least one host: the columns of host × rule. */
  rules: string[];
  totals: Record<HostStatus, number>;
}

/** One report as read: its text, or why it could not be read. */
export interface ReportInput {
  host: string;
  text?: string;
  readError?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function failedHost(host: string, checkedAt: string | null, error: string): FleetHost {
  return { host, status: 'failed', checkedAt, pending: { create: 0, update: 0, delete: 0 }, changes: [], findings: {}, errors: [error] };
}

export function mergeHost(input: ReportInput): FleetHost {
  const { host } = input;
  if (input.text === undefined) return failedHost(host, null, `report could not be read: ${input.readError ?? 'unknown error'}`);
  let report: unknown;
  try {
    report = JSON.parse(input.text);
  } catch (err) {
    return failedHost(host, null, `report is not JSON (${(err as Error).message}); expected the file reconcile --check --report writes`);
  }
  if (!isObject(report)) return failedHost(host, null, 'report is not a JSON object; expected the file reconcile --check --report writes');
  const checkedAt = typeof report.checkedAt === 'string' ? report.checkedAt : null;
  // --check writes {error, checkedAt} when it could not run at all; the role writes the same for a host it could not reach.
  if (typeof report.error === 'string') return failedHost(host, checkedAt, report.error);
  if (!Array.isArray(report.changes)) return failedHost(host, checkedAt, 'report has no "changes" list; expected the file reconcile --check --report writes');

  const changes: FleetChange[] = report.changes.filter(isObject).map((c) => ({
    resource: str(c.resource),
    kind: str(c.kind),
    target: str(c.target),
    action: str(c.action),
    summary: str(c.summary),
  }));
  const pending = { create: 0, update: 0, delete: 0 };
  for (const c of changes) if (c.action === 'create' || c.action === 'update' || c.action === 'delete') pending[c.action] += 1;

  const findings: Record<string, FleetFinding> = {};
  for (const f of Array.isArray(report.findings) ? report.findings.filter(isObject) : []) {
    if (f.status !== 'fail') continue;
    const rule = str(f.rule);
    const entry = (findings[rule] ??= { severity: str(f.severity), count: 0 });
    entry.count += 1;
  }

  const errors = (Array.isArray(report.errors) ? report.errors.filter(isObject) : []).map(
    (e) => `${str(e.resource)}${e.target ? ` (${str(e.target)})` : ''}: ${str(e.message)}`,
  );
  const serious = Object.values(findings).some((f) => f.severity !== 'info');
  const status: HostStatus = errors.length > 0 ? 'failed' : changes.length > 0 || serious ? 'drift' : 'ok';
  return { host, status, checkedAt, pending, changes, findings, errors };
}

export function mergeReports(inputs: ReportInput[]): FleetView {
  const hosts = inputs.map(mergeHost).sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
  const rules = [...new Set(hosts.flatMap((h) => Object.keys(h.findings)))].sort();
  const totals: Record<HostStatus, number> = { ok: 0, drift: 0, failed: 0 };
  for (const h of hosts) totals[h.status] += 1;
  return { hosts, rules, totals };
}

/** 0 every host ok, 2 some host drifted or failed (as --check: the fleet is not clean). */
export function fleetExitCode(view: FleetView): number {
  return view.totals.ok === view.hosts.length ? 0 : 2;
}
