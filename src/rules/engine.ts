// Runs rules against a host. A rule that passes produces nothing; a failing
// one produces one finding per offending target. Verification probes (match
// type `command`) run only on the live root: under --root they are not
// evaluated at all, so they appear neither in findings nor in `evaluated`.

import { errorMessage } from '../errors.js';
import type { Host } from '../host/types.js';
import { withBoundedReads } from './bounded-reads.js';
import { runMatcher } from './matchers/index.js';
import type { Finding, Rule } from './types.js';

export interface RuleRun {
  /** Failing findings and skipped probes, in rule order. */
  findings: Finding[];
  /** Every rule that was evaluated here (for the Prometheus zeros). */
  evaluated: Rule[];
}

export function isVerificationProbe(rule: Rule): boolean {
  return rule.match.type === 'command';
}

export async function runRules(unbounded: Host, rules: Rule[]): Promise<RuleRun> {
  const host = withBoundedReads(unbounded);
  const evaluated = rules.filter((r) => host.live || !isVerificationProbe(r));
  const perRule = await Promise.all(evaluated.map((rule) => runRule(host, rule)));
  return { findings: perRule.flat(), evaluated };
}

async function runRule(host: Host, rule: Rule): Promise<Finding[]> {
  const base = { rule: rule.id, severity: rule.severity, remediation: rule.remediation };
  try {
    if (rule.when && !(await anyPathExists(host, rule.when.anyPathExists))) return [];
    const hits = await runMatcher(host, rule.match);
    return hits.map((h) => {
      const status = h.status ?? 'fail';
      const message = status === 'fail' && rule.message ? `${h.message} ${rule.message}` : h.message;
      return { ...base, target: h.target, message, status };
    });
  } catch (err) {
    // A rule that cannot be checked must not look like a rule that passed.
    return [
      {
        ...base,
        target: rule.source.file,
        message: `could not be checked: ${errorMessage(err)}`,
        status: 'fail',
      },
    ];
  }
}

async function anyPathExists(host: Host, globs: string[]): Promise<boolean> {
  for (const g of globs) if ((await host.glob(g)).length > 0) return true;
  return false;
}
