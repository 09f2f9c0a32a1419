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

interface AccountIndex {
  /** Identity of the file it was parsed from: reparsed when the file changes. */
  key: string;
  byName: Map<string, number>;
  byId: Map<number, string>;
}

// Every probe asks for names; parsing a 20 000-member etc/group once per
// probe made plans quadratic. Cached per Host, keyed on the file's identity,
// so an apply that rewrites etc/group is seen by the next lookup.
const indexes = new WeakMap<Host, Map<Database, { key: string; index: Promise<AccountIndex>; snapshot?: number }>>();

// Within one plan nothing this process does writes etc/passwd or etc/group,
// so buildPlan checks each file's identity once (withAccountSnapshot) instead
// of on every lookup: a converged plan looks up the owner of every file it
// manages, and those checks (a path resolution and a stat each, two per file)
// made it slower than a cold one. Outside a snapshot (an apply) every
// lookup still checks, so an apply's own rewrite is always seen.
const snapshots = new WeakMap<Host, number>();
let nextSnapshot = 1;

/** Runs `fn` with account files checked at most once each (see above). */
export async function withAccountSnapshot<T>(host: Host, fn: () => Promise<T>): Promise<T> {
  const outer = snapshots.get(host);
  snapshots.set(host, nextSnapshot++);
  try {
    return await fn();
  } finally {
    if (outer === undefined) snapshots.delete(host);
    else snapshots.set(host, outer);
  }
}

async function fileIndex(host: Host, db: Database): Promise<AccountIndex> {
  const file = `/etc/${db}`;
  const snapshot = snapshots.get(host);
  let perHost = indexes.get(host);
  if (!perHost) indexes.set(host, (perHost = new Map()));
  const checked = perHost.get(db);
  if (snapshot !== undefined && checked?.snapshot === snapshot) return checked.index;
  const st = await host.stat(file);
  const key = st === null ? 'missing' : `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const cached = perHost.get(db);
  // The promise is cached, not the result: concurrent probes share one parse.
  if (cached?.key === key) {
    cached.snapshot = snapshot;
    return cached.index;
  }
  const index = parseIndex(host, file, key, st !== null);
  perHost.set(db, { key, index, snapshot });
  return index;
}

async function parseIndex(host: Host, file: string, key: string, exists: boolean): Promise<AccountIndex> {
  const text = exists ? await host.readText(file) : null;
  const index: AccountIndex = { key, byName: new Map(), byId: new Map() };
  for (const e of text === null ? [] : parseAccountFile(text)) {
    // The first entry wins, as in getpwnam/getpwuid.
    if (!index.byName.has(e.name)) index.byName.set(e.name, e.id);
    if (!index.byId.has(e.id)) index.byId.set(e.id, e.name);
  }
  return index;
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
  const found = (await fileIndex(host, db)).byName.get(name);
  if (found !== undefined) return found;
  return (await getentEntry(host, db, name))?.id ?? null;
}

async function nameOf(host: Host, db: Database, id: number): Promise<string | null> {
  const found = (await fileIndex(host, db)).byId.get(id);
  if (found !== undefined) return found;
  return (await getentEntry(host, db, String(id)))?.name ?? null;
}

/** A user's uid and primary gid, from the root's etc/passwd (or NSS on a live host); null when unknown. */
export async function lookupUserIds(host: Host, user: string): Promise<{ uid: number; gid: number } | null> {
  const fromLine = (line: string) => {
    const f = line.split(':');
    const uid = f.length >= 4 ? parseNumericId(f[2]!) : null;
    const gid = f.length >= 4 ? parseNumericId(f[3]!) : null;
    return f[0] === user && uid !== null && gid !== null ? { uid, gid } : null;
  };
  for (const line of ((await host.readText('/etc/passwd')) ?? '').split('\n')) {
    const found = fromLine(line);
    if (found) return found;
  }
  if (!host.live) return null;
  const res = await host.run('getent', ['passwd', user]);
  return res.exitCode === 0 ? fromLine(res.stdout.split('\n')[0] ?? '') : null;
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
  return host.live ? `/etc/${db} or NSS (getent ${db})` : `the root's /etc/${db}`;
}
