// Config directories searched in priority order (/etc before /run before
// /usr/lib), as modprobe and udev do: a file name in an earlier directory
// hides the same name in a later one, so only the effective files count.

import type { Host } from '../host/types.js';

export interface ConfigFile {
  path: string;
  text: string;
}

export async function effectiveConfigFiles(host: Host, dirs: string[], suffix: string): Promise<ConfigFile[]> {
  const seen = new Set<string>();
  const files: ConfigFile[] = [];
  for (const dir of dirs) {
    for (const name of await host.readdir(dir)) {
      if (!name.endsWith(suffix) || seen.has(name)) continue;
      seen.add(name);
      const path = `${dir.replace(/\/+$/, '')}/${name}`;
      const st = await host.stat(path);
      // A dangling link or a directory hides the name but holds nothing.
      if (!st || st.type === 'dir') continue;
      const text = await host.readText(path);
      if (text !== null) files.push({ path, text });
    }
  }
  return files;
}

/** Logical lines: a trailing backslash joins the next line; numbers are the first physical line (1-based). */
export function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const physical = text.split('\n');
  let acc = '';
  let start = 0;
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i]!.replace(/\r$/, '');
    if (acc === '') start = i + 1;
    if (raw.endsWith('\\')) {
      acc += raw.slice(0, -1) + ' ';
      continue;
    }
    acc += raw;
    out.push({ line: start, text: acc });
    acc = '';
  }
  if (acc !== '') out.push({ line: start, text: acc });
  return out;
}
