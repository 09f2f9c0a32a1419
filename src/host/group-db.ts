// Reading and changing a group's member list.
//
// Live host: getent and gpasswd, because they go through NSS: SSSD/LDAP
// members count when reading, and gpasswd resolves directory users where
// `usermod -aG` does not.
// Under --root: etc/group and etc/gshadow are edited directly, leaving them
// as `gpasswd -Q ROOT` would (checked byte for byte in the tests), because
// gpasswd -Q refuses members that are not in the root's own etc/passwd
// (directory users), and those are exactly the DS01 users.

import { UserError } from '../errors.js';
import { withShadowLocks } from './shadow-lock.js';
import type { Host, WriteOptions } from './types.js';

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The group as NSS (live) or the root's etc/group (rooted) sees it; null when missing. */
export async function readGroup(host: Host, name: string): Promise<GroupEntry | null> {
  if (host.live) {
    const res = await host.run('getent', ['group', name]);
    if (!res.notFound) {
      // getent exits 2 for "no such key"; anything else is a real failure.
      if (res.exitCode === 2) return null;
      if (res.exitCode !== 0) {
        throw new Error(`getent group ${name} failed (exit ${res.exitCode}): ${res.stderr.trim()}`);
      }
      const entry = parseGroupLine(res.stdout.split('\n')[0] ?? '');
      if (entry && entry.name === name) return entry;
      return null;
    }
    // No getent (a minimal image): the files are all there is.
  }
  const text = await host.readText('/etc/group');
  if (text === null) return null;
  const { lines } = splitLines(text);
  refuseCarriageReturns(lines, '/etc/group');
  for (const [i, line] of lines.entries()) {
    refuseUnparsableLine(line, name, '/etc/group', i + 1);
    const entry = parseGroupLine(line);
    if (entry && entry.name === name) {
      refuseBadMembers(entry.members, '/etc/group', i + 1, name);
      return entry;
    }
  }
  return null;
}

/**
 * User names as the shadow tools accept them (plus `@` for directory users
 * and a final `$` for machine accounts): a member outside this is a damaged
 * file, and writing it back would spread the damage.
 */
const MEMBER_NAME = /^[A-Za-z0-9._@][A-Za-z0-9._@-]*\$?$/;

/** A CR anywhere (CRLF line endings) would end up inside member names: refuse the file. */
function refuseCarriageReturns(lines: string[], file: string): void {
  const i = lines.findIndex((l) => l.includes('\r'));
  if (i < 0) return;
  throw new UserError(
    `the root's ${file} line ${i + 1} holds a carriage return (\\r; DOS/CRLF line endings), which would become part of member names: ` +
      `reconcile will not read or rewrite it. Fix: convert the file (dos2unix ${file}, inside the root), check it with grpck -r, and run again.`,
  );
}

/**
 * A line for `group` that does not parse (a gid that is not a number, a
 * missing field) is refused, never skipped: skipping it would read a later
 * line for the group while an edit changes the first one.
 */
function refuseUnparsableLine(line: string, group: string, file: string, lineNo: number): void {
  if (line.startsWith('#') || line.split(':', 1)[0] !== group) return;
  const fields = line.split(':');
  const problem =
    fields.length !== 4
      ? `it has ${fields.length} fields, expected 4 (name:password:${file.endsWith('gshadow') ? 'admins' : 'gid'}:members)`
      : file.endsWith('/group') && !/^[0-9]+$/.test(fields[2]!)
        ? `its gid ${JSON.stringify(fields[2])} is not a number`
        : null;
  if (problem === null) return;
  throw new UserError(
    `the root's ${file} line ${lineNo} (group ${group}) does not parse: ${problem}; reconcile will not read or edit group ${group} ` +
      `while it is damaged. Fix: correct or remove that line by hand (grpck -r shows problems in ${file}), and run again.`,
  );
}

function refuseBadMembers(members: string[], file: string, line: number, group: string): void {
  const bad = members.filter((m) => !MEMBER_NAME.test(m));
  if (bad.length === 0) return;
  throw new UserError(
    `the root's ${file} line ${line} (group ${group}) has member${bad.length === 1 ? '' : 's'} that ${bad.length === 1 ? 'is not a valid user name' : 'are not valid user names'}: ` +
      `${bad.map((m) => JSON.stringify(m)).join(', ')}; reconcile will not read or rewrite it. ` +
      `Fix: correct or remove ${bad.length === 1 ? 'it' : 'them'} by hand (grpck -r shows problems in ${file}), and run again.`,
  );
}

/** name:passwd:gid:members -> entry; null for comments, NIS lines and malformed lines. */
export function parseGroupLine(line: string): GroupEntry | null {
  if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) return null;
  const fields = line.split(':');
  if (fields.length < 4 || fields[0] === '' || !/^[0-9]+$/.test(fields[2]!)) return null;
  return { name: fields[0]!, gid: Number(fields[2]), members: splitMembers(fields[3]!) };
}

function splitMembers(field: string): string[] {
  return field === '' ? [] : field.split(',').filter((m) => m !== '');
}

/**
 * Adds and removes members of an existing group. Adding a present member or
 * removing an absent one is a no-op, as with gpasswd.
 */
export async function changeGroupMembers(
  host: Host,
  group: string,
  add: string[],
  remove: string[],
): Promise<void> {
  if (host.live) {
    // One refused user (gone from the directory) must not keep the others out.
    const failures: string[] = [];
    const calls = [...add.map((u) => ['-a', u, group]), ...remove.map((u) => ['-d', u, group])];
    for (const args of calls) {
      try {
        await gpasswd(host, args);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length > 0) throw new Error(failures.join('; '));
    return;
  }
  await changeGroupFiles(host, group, add, remove);
}

async function gpasswd(host: Host, args: string[]): Promise<void> {
  const res = await host.run('gpasswd', args);
  if (res.notFound) {
    throw new Error('gpasswd is not installed on this host: install the passwd package (shadow tools) to change group members');
  }
  if (res.exitCode !== 0) {
    throw new Error(`gpasswd ${args.join(' ')} failed (exit ${res.exitCode}): ${res.stderr.trim() || res.stdout.trim()}`);
  }
}

interface SplitText {
  lines: string[];
  /** Whether the text ended with "\n" (kept as it was). */
  trailingNewline: boolean;
}

function splitLines(text: string): SplitText {
  if (text === '') return { lines: [], trailingNewline: false };
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, trailingNewline };
}

function joinLines({ lines, trailingNewline }: SplitText): string {
  return lines.join('\n') + (trailingNewline && lines.length > 0 ? '\n' : '');
}

/** The member list with `add` appended (order kept, no duplicates) and `remove` taken out. */
export function editMembers(current: string[], add: string[], remove: string[]): string[] {
  // Sets, not Array.includes: video can hold every user of a large site.
  const dropped = new Set(remove);
  const result = new Set<string>();
  for (const m of [...current, ...add]) if (!dropped.has(m)) result.add(m);
  return [...result];
}

/**
 * Rewrites the 4th field (members) of the first line for `group`; every other
 * line is kept byte for byte. Returns null when there is no such line.
 */
export function editMemberField(
  text: string,
  group: string,
  add: string[],
  remove: string[],
  file: string,
): { text: string; members: string[] } | null {
  const split = splitLines(text);
  refuseCarriageReturns(split.lines, file);
  const index = split.lines.findIndex((l) => l.split(':', 1)[0] === group && !l.startsWith('#'));
  if (index < 0) return null;
  refuseUnparsableLine(split.lines[index]!, group, file, index + 1);
  const fields = split.lines[index]!.split(':');
  refuseBadMembers(splitMembers(fields[3]!), file, index + 1, group);
  const badAdd = add.filter((m) => !MEMBER_NAME.test(m));
  if (badAdd.length > 0) {
    throw new UserError(`cannot add ${badAdd.map((m) => JSON.stringify(m)).join(', ')} to group ${group} in ${file}: not a valid user name; fix the name in the desired state or in the group it comes from`);
  }
  const members = editMembers(splitMembers(fields[3]!), add, remove);
  fields[3] = members.join(',');
  const lines = [...split.lines];
  lines[index] = fields.join(':');
  return { text: joinLines({ lines, trailingNewline: split.trailingNewline }), members };
}

async function changeGroupFiles(host: Host, group: string, add: string[], remove: string[]): Promise<void> {
  // Under the shadow tools' locks, and each file re-checked right before its
  // rename: an entry groupadd appends meanwhile is never lost.
  const files = (await host.lstat('/etc/gshadow')) === null ? ['/etc/group'] : ['/etc/group', '/etc/gshadow'];
  await withShadowLocks(host, files, () => changeGroupFilesLocked(host, group, add, remove));
}

async function changeGroupFilesLocked(host: Host, group: string, add: string[], remove: string[]): Promise<void> {
  const groupFile = await readForRewrite(host, '/etc/group');
  if (groupFile === null) {
    throw new Error(`the root's /etc/group does not exist, so group ${group} cannot be changed`);
  }
  const edited = editMemberField(groupFile.text, group, add, remove, '/etc/group');
  if (edited === null) {
    throw new Error(`group ${group} does not exist in the root's /etc/group: create it (groupadd ${group}) or fix the name`);
  }

  const gshadow = await readForRewrite(host, '/etc/gshadow');
  let gshadowText: string | null = null;
  if (gshadow !== null) {
    const shadowEdited = editMemberField(gshadow.text, group, add, remove, '/etc/gshadow');
    if (shadowEdited !== null) {
      gshadowText = shadowEdited.text;
    } else {
      // The group is missing from gshadow (grpck reports that). gpasswd then
      // appends an entry with the group's password field, no admins, and the
      // group's new member list, so we do the same and leave them consistent.
      const passwd = groupFile.text.split('\n').find((l) => l.split(':', 1)[0] === group)!.split(':')[1]!;
      const line = `${group}:${passwd}::${edited.members.join(',')}`;
      const { lines } = splitLines(gshadow.text);
      // gpasswd ends every line with "\n"; the new last line gets one too.
      gshadowText = joinLines({ lines: [...lines, line], trailingNewline: true });
    }
  }

  // gshadow first, for additions and removals alike: the plan reads etc/group
  // only, so after a crash in between, a re-run still sees the change as
  // pending and finishes both files. (Writing etc/group first on removal would
  // strand the member in gshadow, invisible to every later plan.) Meanwhile
  // a half-added member is only in gshadow and a half-removed one only in
  // etc/group: neither grants more than the state before.
  if (gshadow !== null && gshadowText !== null && gshadowText !== gshadow.text) {
    await host.writeFileAtomic('/etc/gshadow', gshadowText, gshadow.attrs);
  }
  if (edited.text !== groupFile.text) {
    await host.writeFileAtomic('/etc/group', edited.text, groupFile.attrs);
  }
}

async function readForRewrite(
  host: Host,
  path: string,
): Promise<{ text: string; attrs: WriteOptions } | null> {
  const st = await host.lstat(path);
  if (st === null) return null;
  if (st.type !== 'file') {
    // An atomic rename would replace the link (or worse) instead of the file behind it.
    throw new Error(`the root's ${path} is a ${st.type}, not a regular file: refusing to rewrite it; make it a plain file first`);
  }
  const bytes = await host.readFile(path, { type: st.type, dev: st.dev, ino: st.ino });
  if (bytes === null) return null;
  const unchangedSince = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  return { text: bytes.toString('utf8'), attrs: { mode: st.mode, uid: st.uid, gid: st.gid, unchangedSince } };
}
