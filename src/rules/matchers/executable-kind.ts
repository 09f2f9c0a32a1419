// What an executable really is: a native ELF image, or a script/wrapper that
// merely carries the name. Reads through Host, following links inside the root.

import type { Host } from '../../host/types.js';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export type ExecutableKind =
  | { kind: 'elf' }
  | { kind: 'missing' }
  | { kind: 'script'; description: string };

export async function executableKind(host: Host, path: string): Promise<ExecutableKind> {
  const st = await host.stat(path);
  if (!st || st.type !== 'file') return { kind: 'missing' };
  const data = await host.readFile(path);
  if (!data) return { kind: 'missing' };
  if (data.subarray(0, 4).equals(ELF_MAGIC)) return { kind: 'elf' };
  if (data.subarray(0, 2).toString('latin1') === '#!') {
    const interpreter = data.subarray(0, 120).toString('utf8').split('\n')[0]!.trim();
    return { kind: 'script', description: `a script (${interpreter})` };
  }
  // execve() hands non-ELF files without "#!" to sh: still a script, not the real tool.
  return { kind: 'script', description: data.length === 0 ? 'an empty file' : 'not an ELF binary' };
}
