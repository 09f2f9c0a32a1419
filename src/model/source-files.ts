// Reading a file resource's `source:` from the source root (the repository
// beside the desired state, on the operator's side: not the target root).
// Read at load time, so a missing source is a load error, located, and the
// plan diffs the bytes as for inline content.

import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Largest source file accepted: managed config files, not payloads. */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

export type SourceRead = { text: string } | { problem: string; fix: string };

const describe = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(err)})`;
};

/**
 * The text of `rel` under `root`. The real path must stay inside the real
 * root: a symlink in the repository cannot make reconcile (root) copy
 * /etc/shadow into a world-readable file.
 */
export function readSourceFile(root: string, rel: string, rootFrom: string): SourceRead {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    if (!statSync(realRoot).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    return { problem: `the source root ${root} (${rootFrom}) ${describe(err)} or is not a directory`, fix: 'pass --source with the directory that holds the source files (the repository checkout)' };
  }
  const full = path.join(realRoot, rel);
  let real: string;
  try {
    real = realpathSync(full);
  } catch (err) {
    return { problem: `source ${rel} ${describe(err)} under the source root ${realRoot} (${rootFrom})`, fix: 'check the path (relative to the source root), or pass --source with the right checkout' };
  }
  if (!real.startsWith(realRoot + path.sep)) {
    return { problem: `source ${rel} leads out of the source root ${realRoot} (to ${real})`, fix: 'point `source:` at a file inside the source root, not through a symlink that leaves it' };
  }
  const st = statSync(real);
  if (!st.isFile()) return { problem: `source ${rel} is not a regular file`, fix: 'point `source:` at a file' };
  if (st.size > MAX_SOURCE_BYTES) {
    return { problem: `source ${rel} is ${st.size} bytes, over the ${MAX_SOURCE_BYTES}-byte limit`, fix: 'manage large payloads with a package, not a file resource' };
  }
  const bytes = readFileSync(real);
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    return { problem: `source ${rel} is not UTF-8 text`, fix: 'file resources manage text files; ship binaries in a package' };
  }
  return { text };
}
