// Matcher type -> implementation. Adding a type: a file here, a definition in
// schema/rule.schema.json, a member of Match in ../types.ts.

import type { Host } from '../../host/types.js';
import type { Hit, Match } from '../types.js';
import { matchCommand } from './command.js';
import { matchFileContent } from './file-content.js';
import { matchGroupSubset } from './group-subset.js';
import { matchKeyValueFile } from './key-value-file.js';
import { matchModprobeOption } from './modprobe-option.js';
import { matchPathMode } from './path-mode.js';
import { matchPathShadow } from './path-shadow.js';
import { matchTomlKey } from './toml-key.js';
import { matchUdevRule } from './udev-rule.js';

export function runMatcher(host: Host, match: Match): Promise<Hit[]> {
  switch (match.type) {
    case 'path-shadow':
      return matchPathShadow(host, match);
    case 'file-content':
      return matchFileContent(host, match);
    case 'modprobe-option':
      return matchModprobeOption(host, match);
    case 'udev-rule':
      return matchUdevRule(host, match);
    case 'group-subset':
      return matchGroupSubset(host, match);
    case 'key-value-file':
      return matchKeyValueFile(host, match);
    case 'toml-key':
      return matchTomlKey(host, match);
    case 'path-mode':
      return matchPathMode(host, match);
    case 'command':
      return matchCommand(host, match);
  }
}
