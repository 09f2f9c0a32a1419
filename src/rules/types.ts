// Regression rules: a known-bad state, recognised by content wherever it
// hides. A rule is data (rules/*.yaml, schema/rule.schema.json); a matcher
// type is code (src/rules/matchers/, one file each).

import type { Host } from '../host/types.js';
import type { SourceLocation } from '../model/types.js';

export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export interface PathShadowMatch {
  type: 'path-shadow';
  names: string;
  dirs: string[];
  shadows: string[];
  /** Also fire for a script with no real command of its name in `shadows`. */
  unshadowed?: boolean;
}

export interface FileContentMatch {
  type: 'file-content';
  paths: string[];
  pattern?: string;
  when: 'present' | 'missing';
}

export interface ModprobeOptionMatch {
  type: 'modprobe-option';
  dirs: string[];
  module: string;
  option: string;
  allowed: string[];
}

export interface UdevRuleMatch {
  type: 'udev-rule';
  dirs: string[];
  devices: string;
  allowedModes: string[];
  runMatches?: string;
}

export interface GroupSubsetMatch {
  type: 'group-subset';
  group: string;
  containsMembersOf: string[];
}

export interface KeyValueFileMatch {
  type: 'key-value-file';
  path: string;
  keys: Array<{ key: string; aliases?: string[]; allowed: string[] }>;
}

export interface TomlKeyMatch {
  type: 'toml-key';
  path: string;
  /** A key of the root table (before any [table] header). */
  key: string;
  /** The program's value when the key is absent. */
  default: boolean;
  allowed: boolean[];
}

export interface WrapsOriginalMatch {
  type: 'wraps-original';
  paths: string[];
  /** The saved original is the path plus this (".original"). */
  originalSuffix: string;
}

export interface PathModeMatch {
  type: 'path-mode';
  paths: string[];
  fileTypes?: Array<'file' | 'dir' | 'char' | 'block' | 'fifo' | 'socket'>;
  allowedModes: string[];
}

export interface CommandMatch {
  type: 'command';
  requires?: string[];
  user?: { name?: string; memberOf?: string; exclude?: string[]; excludeWithFileIn?: string };
  run: string[];
  timeoutSeconds?: number;
  expect: { exitCode?: number; stdoutMatches?: string; stdoutDoesNotMatch?: string };
}

export type Match =
  | PathShadowMatch
  | FileContentMatch
  | ModprobeOptionMatch
  | UdevRuleMatch
  | GroupSubsetMatch
  | KeyValueFileMatch
  | TomlKeyMatch
  | WrapsOriginalMatch
  | PathModeMatch
  | CommandMatch;

export type MatchType = Match['type'];

export interface Rule {
  id: string;
  severity: Severity;
  title: string;
  why: string;
  remediation: string;
  /** Appended to every failing finding's message. */
  message?: string;
  match: Match;
  /** Applies only where one of these globs exists (an NVIDIA driver, a device node). */
  when?: { anyPathExists: string[] };
  /** Where the rule was declared (its `id:` line). */
  source: SourceLocation;
}

export interface Finding {
  rule: string;
  severity: Severity;
  /** A path inside the root, a group's name, or the probe's command. */
  target: string;
  message: string;
  remediation: string;
  /** 'skipped': a verification probe that could not run here, with the reason in message. */
  status: 'fail' | 'skipped';
}

/** What a matcher reports; the engine adds rule id, severity and remediation. */
export interface Hit {
  target: string;
  message: string;
  status?: 'fail' | 'skipped';
}

/** A matcher reads the host only through Host and returns one hit per offending target. */
export type Matcher<M extends Match> = (host: Host, match: M) => Promise<Hit[]>;
