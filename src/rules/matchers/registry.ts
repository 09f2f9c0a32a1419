// Matcher type -> implementation: the one place a matcher is registered.
// The compiler checks it against the Match union (../types.ts); a test checks
// it against schema/rule.schema.json. Adding a type: a file here, its line
// below, its member of Match, its definition in the rule schema.

import type { Match, Matcher, MatchType } from '../types.js';
import { matchCommand } from './command.js';
import { matchFileContent } from './file-content.js';
import { matchGroupSubset } from './group-subset.js';
import { matchKeyValueFile } from './key-value-file.js';
import { matchModprobeOption } from './modprobe-option.js';
import { matchPathMode } from './path-mode.js';
import { matchPathShadow } from './path-shadow.js';
import { matchTomlKey } from './toml-key.js';
import { matchUdevRule } from './udev-rule.js';
import { matchWrapsOriginal } from './wraps-original.js';

export const MATCHERS: { [T in MatchType]: Matcher<Extract<Match, { type: T }>> } = {
  'path-shadow': matchPathShadow,
  'file-content': matchFileContent,
  'modprobe-option': matchModprobeOption,
  'udev-rule': matchUdevRule,
  'group-subset': matchGroupSubset,
  'key-value-file': matchKeyValueFile,
  'toml-key': matchTomlKey,
  'wraps-original': matchWrapsOriginal,
  'path-mode': matchPathMode,
  command: matchCommand,
};

export const MATCH_TYPES = Object.keys(MATCHERS) as readonly MatchType[];

export function matcherFor<M extends Match>(type: M['type']): Matcher<M> {
  return MATCHERS[type] as unknown as Matcher<M>;
}
