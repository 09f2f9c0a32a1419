// A boolean switch in a TOML file's root table, such as the NVIDIA container
// toolkit's accept-nvidia-visible-devices-envvar-when-unprivileged. An absent
// key takes the program's documented default, so "not set" can be the bad
// state. No file means the program is not installed: nothing to judge.

import type { Host } from '../../host/types.js';
import { readTomlRootTable, tomlBoolean } from '../toml-top-level.js';
import type { Hit, TomlKeyMatch } from '../types.js';

export async function matchTomlKey(host: Host, match: TomlKeyMatch): Promise<Hit[]> {
  const text = await host.readText(match.path);
  if (text === null) return [];
  const table = readTomlRootTable(text);
  const entry = table.entries.get(match.key);
  const allowed = match.allowed.map(String).join(' or ');
  if (entry === undefined) {
    if (match.allowed.includes(match.default)) return [];
    return [
      {
        target: match.path,
        message: `${match.path} does not set ${match.key}, so it takes its default (${match.default}); it must be ${allowed}.`,
      },
    ];
  }
  const value = tomlBoolean(entry.value);
  if (value !== null && match.allowed.includes(value)) return [];
  const what = value === null ? `sets ${match.key} to ${entry.value}, which is not a TOML boolean` : `sets ${match.key} = ${value}`;
  return [{ target: match.path, message: `${match.path} line ${entry.line} ${what}; it must be ${allowed}.` }];
}
