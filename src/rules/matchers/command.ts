// Verification probes: the incidents' verify scripts as data. They run only
// on the live root (the engine sees to that), only where the tools exist,
// each with a timeout. A probe that cannot run here is "skipped" with the
// reason - never a failure, so a host without nvidia-smi stays green.

import type { Host } from '../../host/types.js';
import { readGroup } from '../../host/group-db.js';
import type { CommandMatch, Hit } from '../types.js';

/** Where `requires` looks: root's PATH on Debian/Ubuntu. */
export const STANDARD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
export const DEFAULT_TIMEOUT_SECONDS = 20;

async function findTool(host: Host, name: string): Promise<string | null> {
  for (const dir of STANDARD_PATH) {
    const p = `${dir}/${name}`;
    const st = await host.stat(p);
    if (st && st.type === 'file' && (st.mode & 0o111) !== 0) return p;
  }
  return null;
}

interface Account {
  uid: number;
  shell: string;
}

/** A user as NSS sees it (live host: directory users too), or null when unknown. */
async function account(host: Host, user: string): Promise<Account | null> {
  const r = await host.run('getent', ['passwd', user], { timeoutMs: 5000 });
  if (r.exitCode !== 0) return null;
  const fields = r.stdout.split('\n')[0]!.split(':');
  const uid = Number(fields[2]);
  return Number.isInteger(uid) ? { uid, shell: fields[6] ?? '' } : null;
}

/** A login shell that cannot run commands (system accounts) tells us nothing. */
function canLogIn(a: Account): boolean {
  return !/(nologin|\/false)$/.test(a.shell);
}

type Pick = { user: string } | { skip: string } | null;

async function pickUser(host: Host, spec: NonNullable<CommandMatch['user']>): Promise<Pick> {
  if (spec.name !== undefined) {
    if ((await account(host, spec.name)) === null) return { skip: `user ${spec.name} does not exist here` };
    return { user: spec.name };
  }
  const group = await readGroup(host, spec.memberOf!);
  if (!group) return { skip: `group ${spec.memberOf} does not exist here` };
  const excluded = new Set(spec.exclude ?? []);
  for (const user of [...group.members].sort()) {
    if (excluded.has(user)) continue;
    if (spec.excludeWithFileIn && (await host.lstat(`${spec.excludeWithFileIn}/${user}.json`))) continue;
    const a = await account(host, user);
    if (a === null || a.uid === 0 || !canLogIn(a)) continue;
    return { user };
  }
  return { skip: `no unprivileged member of ${spec.memberOf} fits this probe` };
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 200 ? line.slice(0, 200) + '...' : line;
}

export async function matchCommand(host: Host, match: CommandMatch): Promise<Hit[]> {
  const shown = (args: string[]) => args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  for (const tool of match.requires ?? []) {
    if ((await findTool(host, tool)) === null) {
      return [
        {
          target: shown(match.run),
          status: 'skipped',
          message: `skipped: ${tool} is not installed (not in ${STANDARD_PATH.join(':')}).`,
        },
      ];
    }
  }
  let run = match.run;
  if (match.user) {
    const pick = await pickUser(host, match.user);
    if (pick && 'skip' in pick) {
      return [{ target: shown(match.run), status: 'skipped', message: `skipped: ${pick.skip}.` }];
    }
    const user = (pick as { user: string }).user;
    run = run.map((a) => a.split('{user}').join(user));
  }
  const target = shown(run);
  const timeout = match.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const r = await host.run(run[0]!, run.slice(1), { timeoutMs: timeout * 1000 });
  if (r.notFound) return [{ target, status: 'skipped', message: `skipped: ${run[0]} is not installed.` }];
  if (r.timedOut) return [{ target, message: `\`${target}\` did not finish within ${timeout} s.` }];
  const problems: string[] = [];
  if (match.expect.exitCode !== undefined && r.exitCode !== match.expect.exitCode) {
    const err = firstLine(r.stderr) || firstLine(r.stdout);
    problems.push(`exited ${r.exitCode}, expected ${match.expect.exitCode}${err ? ` (${err})` : ''}`);
  }
  if (match.expect.stdoutMatches !== undefined && !new RegExp(match.expect.stdoutMatches, 'm').test(r.stdout)) {
    problems.push(`printed ${JSON.stringify(firstLine(r.stdout))}, which does not match /${match.expect.stdoutMatches}/`);
  }
  if (match.expect.stdoutDoesNotMatch !== undefined) {
    const re = new RegExp(match.expect.stdoutDoesNotMatch, 'm');
    const m = re.exec(r.stdout);
    if (m) problems.push(`printed ${JSON.stringify(m[0])}, which must not match /${match.expect.stdoutDoesNotMatch}/`);
  }
  if (problems.length === 0) return [];
  return [{ target, message: `\`${target}\` ${problems.join('; ')}.` }];
}
