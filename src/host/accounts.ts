// Owner and group names resolved in the TARGET root's etc/passwd and
// etc/group (read through Host), never the running machine's: under --root
// "video" may be gid 44 in the root and something else here. On a live host,
// names missing from the files are asked of NSS (getent), so directory
// (SSSD/LDAP) users and groups resolve too.

import type { Host } from './types.js';

export interface AccountEntry {
  name: string;
  id: number;
}

type Database = 'passwd' | 'group';

const MAX_ID = 0xfffffffe; // (uid_t)-1 means "no change" to chown, never an id

/** A numeric string ("0", "44") is an id as is. */
export function parseNumericId(value: string): number | null {
  if (!/^[0-9]+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && n <= MAX_ID ? n : null;
}

/** Name/id pairs from passwd or group text: skips comments, blanks and NIS "+"/"-" lines. */
export function parseAccountFile(text: string): AccountEntry[] {
  const entries: AccountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    if (fields.length < 3) continue;
    const id = parseNumericId(fields[2]!);
    if (fields[0] === '' || id === null) continue;
    entries.push({ name: fields[0]!, id });
  }
  return entries;
}

async function fileEntries(host: Host, db: Database): Promise<AccountEntry[]> {
  const text = await host.readText(`/etc/${db}`);
  return text === null ? [] : parseAccountFile(text);
}

/** getent on a live host; null when NSS has no such entry or getent is unavailable. */
async function getentEntry(host: Host, db: Database, key: string): Promise<AccountEntry | null> {
  if (!host.live) return null;
  const res = await host.run('getent', [db, key]);
  if (res.exitCode !== 0 || res.notFound) return null;
  const line = res.stdout.split('\n')[0] ?? '';
  return parseAccountFile(line)[0] ?? null;
}

async function idOf(host: Host, db: Database, name: string): Promise<number | null> {
  const numeric = parseNumericId(name);
  if (numeric !== null) return numeric;
  const found = (await fileEntries(host, db)).find((e) => e.name === name);
  if (found) return found.id;
  return (await getentEntry(host, db, name))?.id ?? null;
}

async function nameOf(host: Host, db: Database, id: number): Promise<string | null> {
  const found = (await fileEntries(host, db)).find((e) => e.id === id);
  if (found) return found.name;
  return (await getentEntry(host, db, String(id)))?.name ?? null;
}

/** uid for a user name or numeric string; null when unknown. */
export function lookupUid(host: Host, user: string): Promise<number | null> {
  return idOf(host, 'passwd', user);
}

/** gid for a group name or numeric string; null when unknown. */
export function lookupGid(host: Host, group: string): Promise<number | null> {
  return idOf(host, 'group', group);
}

/** The first user name with this uid; null when there is none. */
export function userNameOf(host: Host, uid: number): Promise<string | null> {
  return nameOf(host, 'passwd', uid);
}

/** The first group name with this gid; null when there is none. */
export function groupNameOf(host: Host, gid: number): Promise<string | null> {
  return nameOf(host, 'group', gid);
}

/** For display: the name when known, else the number ("1234"). */
export async function ownerDisplay(host: Host, uid: number, gid: number): Promise<{ owner: string; group: string }> {
  const [owner, group] = await Promise.all([userNameOf(host, uid), groupNameOf(host, gid)]);
  return { owner: owner ?? String(uid), group: group ?? String(gid) };
}

/** Where names were looked up, for error messages. */
export function accountSource(host: Host, db: Database): string {
  return host.live ? `/etc/${db} or NSS (getent ${db})` : `${host.root}'s /etc/${db}`;
}
