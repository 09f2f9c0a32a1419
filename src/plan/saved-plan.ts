// A saved plan (`--plan --out FILE`): the reviewed plan as a file, so the
// apply in deploy carries out exactly what was approved (Terraform's
// `plan -out`). It records where and from what it was made (root, host,
// desired-state and rules digests), embeds the desired state so apply can
// re-plan without it, and adds to each change's `expect` fingerprint what a
// stat cannot show: the bytes' sha256 and a symlink's target.

import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Host } from '../host/types.js';
import { fingerprintOf } from '../kinds/shared/fingerprint.js';
import type { Change, Fingerprint, Plan } from './types.js';

export const PLAN_FORMAT_VERSION = 1;
export const PLAN_FILE_TYPE = 'reconcile-plan';

/** What a stat cannot show: content and link target (and the same for a rename's source). */
export interface Observed {
  sha256?: string;
  linkTarget?: string;
  from?: { expect: Fingerprint; sha256?: string; linkTarget?: string };
}

export interface SavedChange extends Change {
  observed?: Observed;
}

export interface EmbeddedFile {
  path: string;
  sha256: string;
  text: string;
}

export interface HostIdentity {
  hostname: string;
  /** The root's /etc/machine-id, null where it has none (an image, a test root). */
  machineId: string | null;
}

export interface SavedPlan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  type: typeof PLAN_FILE_TYPE;
  tool: { name: 'reconcile'; version: string };
  createdAt: string;
  root: { given: string; canonical: string };
  host: HostIdentity;
  desired: { digest: string; files: EmbeddedFile[]; sourceRoot?: string };
  rules: { digest: string; files: { path: string; sha256: string }[] };
  targets: string[];
  plan: Omit<Plan, 'changes'> & { changes: SavedChange[] };
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One digest for a list of files: each file's path and sha256, in order. */
export function filesDigest(files: { path: string; sha256: string }[]): string {
  return sha256(files.map((f) => `${f.path}\0${f.sha256}\n`).join(''));
}

export async function hostIdentity(host: Host): Promise<HostIdentity> {
  let machineId: string | null = null;
  try {
    machineId = (await host.readText('/etc/machine-id'))?.trim() || null;
  } catch {
    // Unreadable or refused: no identity beyond the hostname.
  }
  return { hostname: os.hostname(), machineId };
}

// Regular files above this size are compared by stat only: hashing them
// would make every plan slow, and reconcile manages small config files.
const MAX_HASHED_BYTES = 64 * 1024 * 1024;

/** sha256 and link target of a path as it is now; {} for what cannot be read (a plan made without root). */
export async function observePath(host: Host, p: string, fp: Fingerprint): Promise<Omit<Observed, 'from'>> {
  if (fp.type !== 'path') return {};
  try {
    if (fp.fileType === 'symlink') return { linkTarget: await host.readlink(p) };
    if (fp.fileType === 'file' && fp.size <= MAX_HASHED_BYTES) {
      const bytes = await host.readFile(p);
      return bytes === null ? {} : { sha256: sha256(bytes) };
    }
  } catch {
    // EACCES as an unprivileged user: the stat fingerprint still guards it.
  }
  return {};
}

/** A change plus what a stat cannot show of its target (and of a rename's source). */
export async function observeChange(host: Host, change: Change): Promise<SavedChange> {
  if (change.op.type === 'group-members' || change.expect.type === 'service' || change.expect.type === 'package') return change;
  const observed: Observed = await observePath(host, change.target, change.expect);
  if (change.op.type === 'rename-over') {
    const expect = fingerprintOf(await host.lstat(change.op.from));
    observed.from = { expect, ...(await observePath(host, change.op.from, expect)) };
  }
  return Object.keys(observed).length > 0 ? { ...change, observed } : change;
}

export interface SavedPlanInput {
  host: Host;
  plan: Plan;
  toolVersion: string;
  rootGiven: string;
  desiredFiles: EmbeddedFile[];
  /** --source, absolute: `source:` files are read from it again at apply. */
  sourceRoot?: string;
  ruleFiles: { path: string; sha256: string }[];
  targets: string[];
  now?: Date;
}

export async function makeSavedPlan(input: SavedPlanInput): Promise<SavedPlan> {
  const { host, plan } = input;
  const changes = await Promise.all(plan.changes.map((c) => observeChange(host, c)));
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    type: PLAN_FILE_TYPE,
    tool: { name: 'reconcile', version: input.toolVersion },
    createdAt: (input.now ?? new Date()).toISOString(),
    root: { given: input.rootGiven, canonical: host.root },
    host: await hostIdentity(host),
    desired: { digest: filesDigest(input.desiredFiles), files: input.desiredFiles, ...(input.sourceRoot !== undefined ? { sourceRoot: input.sourceRoot } : {}) },
    rules: { digest: filesDigest(input.ruleFiles), files: input.ruleFiles },
    targets: input.targets,
    plan: { ...plan, changes },
  };
}
