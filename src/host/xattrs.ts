// Extended attributes a rewrite must not drop: POSIX ACLs
// (system.posix_acl_access), file capabilities (security.capability),
// security labels and user.* data. An atomic rewrite makes a new inode, which
// starts with none of them; and a new inode's group bits would then grant the
// whole owning group what the ACL mask granted to named users only.
// Node has no getxattr/setxattr: the attr package's getfattr/setfattr read
// and write them, by argument array, on the held descriptor's /proc link.

/** name -> value, base64. */
export type Xattrs = Record<string, string>;

export const CAPABILITY = 'security.capability';

/** A /proc/self/... path as another process (the tool we run) must name it. */
function forChild(p: string): string {
  return p.startsWith('/proc/self/') ? `/proc/${process.pid}/${p.slice('/proc/self/'.length)}` : p;
}

function toolMissing(tool: string, p: string): Error {
  return new Error(
    `cannot read or carry the extended attributes (ACLs, capabilities, user.*) of ${p}: ${tool} is not installed. ` +
      'reconcile will not rewrite a file whose ACLs it cannot see; install the attr package (apt-get install attr) and run again.',
  );
}

/** Every extended attribute of the file at `real` (following it: pass a /proc fd link or a checked path). */
export async function readXattrs(real: string, shown: string): Promise<Xattrs> {
  // execa (and the node built-ins it pulls in) is loaded when a command runs, not at start-up.
  const { execa } = await import('execa');
  const res = await execa('getfattr', ['--absolute-names', '--dump', '--match=-', '--encoding=base64', forChild(real)], {
    reject: false,
    env: { LC_ALL: 'C' },
  });
  if ((res as { code?: string }).code === 'ENOENT') throw toolMissing('getfattr', shown);
  if (res.exitCode !== 0) {
    // A file system without extended attributes has none to lose.
    if (/Operation not supported/.test(String(res.stderr))) return {};
    throw new Error(`cannot read the extended attributes of ${shown}: ${String(res.stderr).trim()}`);
  }
  const attrs: Xattrs = {};
  for (const line of String(res.stdout).split('\n')) {
    const m = /^([^#=][^=]*)=0s(.*)$/.exec(line);
    if (m) attrs[m[1]!] = m[2]!;
  }
  return attrs;
}

/** Sets each attribute on the file at `real` (not yet in place: a temp file). */
export async function writeXattrs(real: string, attrs: Xattrs, shown: string): Promise<void> {
  // ACL first: it rewrites the group bits, which the caller's chmod then sets as wanted.
  const names = Object.keys(attrs).sort((a, b) => Number(b.startsWith('system.')) - Number(a.startsWith('system.')));
  for (const name of names) {
    const { execa } = await import('execa');
    const res = await execa('setfattr', ['--no-dereference', `--name=${name}`, `--value=0s${attrs[name]}`, forChild(real)], {
      reject: false,
      env: { LC_ALL: 'C' },
    });
    if ((res as { code?: string }).code === 'ENOENT') throw toolMissing('setfattr', shown);
    if (res.exitCode !== 0) throw new Error(`cannot carry the extended attribute ${name} over to the new ${shown}: ${String(res.stderr).trim()}`);
  }
}

/** Names for people: "a POSIX ACL, user.note". */
export function describeXattrs(attrs: Xattrs): string {
  return Object.keys(attrs)
    .map((n) => (n === 'system.posix_acl_access' ? 'a POSIX ACL' : n === CAPABILITY ? 'file capabilities' : n))
    .join(', ');
}
