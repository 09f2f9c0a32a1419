// The built-in rules, parsed and validated ahead of time. Parsing a dozen
// small YAML files with cold code was the largest part of a --plan's start-up
// (issue 13). The tsc build has none here and parses every file; the shipped
// bundle (scripts/build-bundle.mjs) swaps this module for one holding each
// built-in rule file's exact text and the rule loadRuleFile made of it. A file
// whose text differs in any byte (an edited or replaced rule) is parsed and
// validated as usual, so the result is always what parsing would give.

import type { Rule } from './types.js';

/** A rule as loadRuleFile returns it, without the file name its location carries. */
export type PrebuiltRule = Omit<Rule, 'source'> & { source: { line: number; column: number } };

/** The rule made of exactly this text at build time, or undefined: parse it. */
export function prebuiltRule(_text: string): PrebuiltRule | undefined {
  return undefined;
}
