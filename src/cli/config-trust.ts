// reconcile runs as root and does what its config says, so a config file
// that someone else can write is a way to become root. As root, refuse a
// desired-state or rules file or directory, or any directory above it up to
// /, that is not owned by root or is group- or world-writable (a sticky
// directory excepted), as sudo and ssh's StrictModes do: whoever can write
// an ancestor can rename the rest away and put their own in its place.
// --insecure-config accepts it with a warning.

import path from 'node:path';
import { UserError } from '../errors.js';
import { listConfigDir, statConfig, type ConfigStat } from '../host/config-stat.js';
import { shellQuote } from './command-line.js';

export interface TrustOptions {
  /** --insecure-config: warn instead of refusing. */
  insecure: boolean;
  warn(message: string): void;
  /** Defaults to process.getuid() === 0: the check only matters when running as root. */
  asRoot?: boolean;
  /** File suffixes read from a directory; defaults to YAML. */
  suffixes?: string[];
}

interface Problem {
  path: string;
  what: string;
}

const STICKY = 0o1000;

function problemOf(p: string, st: ConfigStat, isParent: boolean): Problem | null {
  const issues: string[] = [];
  if (st.uid !== 0) issues.push(`owned by uid ${st.uid}, not root`);
  // A sticky directory (/tmp) lets nobody else rename or delete our root-owned entry.
  const sticky = isParent && st.isDirectory && (st.mode & STICKY) !== 0;
  if (!sticky && (st.mode & 0o002) !== 0) issues.push('world-writable');
  if (!sticky && (st.mode & 0o020) !== 0) issues.push('group-writable');
  if (issues.length === 0) return null;
  const mode = st.mode.toString(8).padStart(4, '0');
  return { path: p, what: `${issues.join(' and ')} (mode ${mode})` };
}

async function check(p: string, role: 'input' | 'parent', problems: Problem[], seen: Set<string>): Promise<ConfigStat | null> {
  const st = await statConfig(p);
  if (st === null || seen.has(`${role}:${st.real}`)) return st;
  seen.add(`${role}:${st.real}`);
  const problem = problemOf(st.real === p ? p : `${p} (-> ${st.real})`, st, role === 'parent');
  if (problem) problems.push(problem);
  return st;
}

/** Checks every directory from `dir` up to /. */
async function checkAncestors(dir: string, problems: Problem[], seen: Set<string>): Promise<void> {
  for (let d = dir; ; d = path.dirname(d)) {
    await check(d, 'parent', problems, seen);
    if (path.dirname(d) === d) return;
  }
}

/** The problems with one input path: itself, every directory above it, and (for a directory) the files read from it. */
async function inputProblems(input: string, suffixes: string[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const abs = path.resolve(input);
  const st = await check(abs, 'input', problems, seen);
  if (st === null) return problems;
  await checkAncestors(path.dirname(abs), problems, seen);
  // Whoever can re-point a symlink (here or in a parent) chooses the file: the real file's directories count too.
  if (st.real !== abs) await checkAncestors(path.dirname(st.real), problems, seen);
  if (st.isDirectory) {
    for (const name of await listConfigDir(st.real)) {
      if (name.startsWith('.') || !suffixes.some((s) => name.endsWith(s))) continue;
      const child = path.join(st.real, name);
      const cst = await check(child, 'input', problems, seen);
      if (cst?.isLink) await checkAncestors(path.dirname(cst.real), problems, seen);
    }
  }
  return problems;
}

/**
 * Checks the desired-state or rules paths before they are read. Throws a
 * UserError naming every problem and the fix; with `insecure`, warns instead.
 */
export async function checkConfigTrust(inputs: string[], kind: string, opts: TrustOptions): Promise<void> {
  const asRoot = opts.asRoot ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  if (!asRoot) return;
  const problems: Problem[] = [];
  for (const input of inputs) problems.push(...(await inputProblems(input, opts.suffixes ?? ['.yaml', '.yml'])));
  if (problems.length === 0) return;
  const list = problems.map((p) => `${p.path} is ${p.what}`).join('; ');
  const fixes = [...new Set(problems.map((p) => p.path.replace(/ \(-> .*\)$/, '')))];
  const quoted = fixes.map(shellQuote).join(' ');
  const fix = `chown root ${quoted} && chmod go-w ${quoted}`;
  if (opts.insecure) {
    opts.warn(
      `reconcile: warning: --insecure-config: using ${kind} that others can change, although reconcile runs as root: ${list}. Fix: ${fix}.\n`,
    );
    return;
  }
  throw new UserError(
    `refusing to use ${kind} that others can change: ${list}. reconcile runs as root and does what this file says, ` +
      `so whoever can write it can act as root. Fix: ${fix} (or pass --insecure-config to accept it, with a warning).`,
  );
}
