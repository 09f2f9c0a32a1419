// --plan --out FILE: the plan just shown, written as a saved plan (JSON,
// 0600, atomically) for --apply --plan-file. The desired-state files are
// embedded as read; they are read again here, so they are checked to still
// say what the plan was made from.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { listLocal, packageRoot, readLocalText } from '../host/local-files.js';
import { writeLocalFileAtomic } from '../host/local-write.js';
import { embeddedResources } from '../plan/embedded-desired.js';
import { makeSavedPlan, sha256, type EmbeddedFile } from '../plan/saved-plan.js';
import { builtinRulesDir } from '../rules/load.js';
import type { CliArgs } from './args.js';
import type { Assessment } from './plan-command.js';

export function toolVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

async function embedDesired(a: Assessment, sourceRoot: string | undefined): Promise<EmbeddedFile[]> {
  const files = await Promise.all(
    a.desired.files.map(async (p) => {
      const text = await readLocalText(p);
      return { path: p, sha256: sha256(text), text };
    }),
  );
  const again = await embeddedResources(files, sourceRoot);
  if (JSON.stringify(again) !== JSON.stringify(a.desired.resources)) {
    throw new UserError(`the desired state (${a.desired.files.join(', ')}) changed while the plan was being made, so no plan file was written. Fix: run --plan again.`);
  }
  return files;
}

async function ruleFiles(args: CliArgs): Promise<{ path: string; sha256: string }[]> {
  const out: { path: string; sha256: string }[] = [];
  for (const dir of [builtinRulesDir(), ...args.rules]) {
    for (const p of await listLocal(dir, ['.yaml', '.yml'])) out.push({ path: p, sha256: sha256(await readLocalText(p)) });
  }
  return out;
}

export async function savePlan(a: Assessment, args: CliArgs, file: string): Promise<void> {
  const sourceRoot = args.source !== undefined ? path.resolve(args.source) : undefined;
  const saved = await makeSavedPlan({
    ...(sourceRoot !== undefined ? { sourceRoot } : {}),
    host: a.host,
    plan: a.plan,
    toolVersion: toolVersion(),
    rootGiven: args.root,
    desiredFiles: await embedDesired(a, sourceRoot),
    ruleFiles: await ruleFiles(args),
    targets: args.targets,
  });
  // 0600: the plan embeds file contents (and group membership) as read; it is for the reviewer and the deploy only.
  await writeLocalFileAtomic(file, JSON.stringify(saved, null, 1) + '\n', 0o600);
}
