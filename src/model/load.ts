// Loading the desired state: one YAML file or a directory of them, parsed,
// validated against the schema and normalised into the model. Every problem
// is a UserError pointing at file:line:column.

import { UserError, errorMessage, formatLocation } from '../errors.js';
import { listLocal, readLocalText, statLocal } from '../host/local-files.js';
import { HandlerCollector } from './load-handlers.js';
import { normaliseResources, type SourceRootOption } from './normalise.js';
import { MAX_FILE_BYTES, parseYaml } from './parse-yaml.js';
import { validateAgainstSchema } from './schema-errors.js';
import type { DesiredState, Resource } from './types.js';
import { locate, nodeLocation } from './yaml-locate.js';

const SUFFIXES = ['.yaml', '.yml'];

/** Parse, validate and normalise one file's text; `fileName` is used in messages only. */
export async function validateDesiredStateText(text: string, fileName: string, opts: SourceRootOption = {}): Promise<Resource[]> {
  const resources: Resource[] = [];
  const handlers = new HandlerCollector();
  await addFile(text, fileName, resources, new Map(), new Map(), opts, handlers);
  handlers.check();
  return resources;
}

/** Several files' texts as one desired state (a saved plan's embedded files): handlers may be in any of them. */
export async function loadDesiredTexts(files: { path: string; text: string }[], opts: SourceRootOption = {}): Promise<Resource[]> {
  const resources: Resource[] = [];
  const handlers = new HandlerCollector();
  const seen = new Map<string, Resource>();
  const claimed = new Map<string, Resource>();
  for (const f of files) await addFile(f.text, f.path, resources, seen, claimed, opts, handlers);
  handlers.check();
  return resources;
}

/** Adds one file's resources, refusing an id already declared (in this file or an earlier one). */
async function addFile(
  text: string,
  file: string,
  into: Resource[],
  seen: Map<string, Resource>,
  claimed: Map<string, Resource>,
  opts: SourceRootOption,
  handlers: HandlerCollector,
): Promise<void> {
  const parsed = parseYaml(text, file);
  await validateAgainstSchema(parsed);
  const fileResources = normaliseResources(parsed, claimed, opts);
  handlers.add(parsed, fileResources);
  fileResources.forEach((r, i) => {
    const earlier = seen.get(r.id);
    if (earlier) {
      const loc = nodeLocation(parsed, locate(parsed, ['resources', i, 'id']).node);
      throw new UserError(
        `${formatLocation(loc)}: resources[${i}].id: duplicate id \`${r.id}\`, already declared at ` +
          `${formatLocation(earlier.source)}. Fix: ids are unique across all desired-state files; rename one of them.`,
        loc,
      );
    }
    seen.set(r.id, r);
    into.push(r);
  });
}

const IO_REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
  EISDIR: 'it is a directory',
};

/** An I/O failure in words, without the library's stack-ish prefixes. */
function ioReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (code ? IO_REASONS[code] : undefined) ?? errorMessage(err).replace(/^Error: /, '');
}

async function statGiven(p: string) {
  try {
    return await statLocal(p);
  } catch (err) {
    throw new UserError(`${p}: cannot read the desired state (${ioReason(err)}). Fix: check the path given with --desired and its permissions.`);
  }
}

async function readDesiredFile(file: string): Promise<string> {
  const st = await statGiven(file);
  if (!st) {
    throw new UserError(`${file}: the desired-state file does not exist. Fix: check the path given with --desired.`);
  }
  if (!st.isFile) {
    throw new UserError(`${file}: not a regular file. Fix: pass a YAML file or a directory of *.yaml files with --desired.`);
  }
  // Checked before reading, so a huge file is never loaded into memory.
  if (st.size > MAX_FILE_BYTES) {
    throw new UserError(
      `${file}: the file is ${st.size} bytes, over the ${MAX_FILE_BYTES}-byte limit for a desired-state file. ` +
        'Fix: split it into several files in one directory and pass the directory with --desired.',
    );
  }
  try {
    return await readLocalText(file);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: cannot read the desired-state file (${ioReason(err)}). Fix: check its permissions.`);
  }
}

/** The files a --desired argument names: the file itself, or a directory's *.yaml/*.yml, sorted. */
async function desiredFiles(pathOrDir: string): Promise<string[]> {
  const st = await statGiven(pathOrDir);
  if (!st) {
    throw new UserError(
      `${pathOrDir}: no desired state here (no such file or directory). ` +
        'Fix: pass --desired with a YAML file or a directory of *.yaml files, e.g. --desired desired-state/ds01.yaml.',
    );
  }
  if (!st.isDirectory) return [pathOrDir];
  let files: string[];
  try {
    files = await listLocal(pathOrDir, SUFFIXES);
  } catch (err) {
    throw new UserError(`${pathOrDir}: cannot list the directory (${ioReason(err)}). Fix: check its permissions.`);
  }
  if (files.length === 0) {
    throw new UserError(
      `${pathOrDir}: the directory holds no *.yaml or *.yml files, so there is no desired state to use. ` +
        'Fix: put the desired-state files there, or pass --desired with a file or another directory.',
    );
  }
  return files;
}

export interface LoadOptions extends SourceRootOption {
  /** Told of each desired-state file's text as read, in load order: the load cache keys on exactly these. */
  onDesiredText?: (file: string, text: string) => void;
}

export async function loadDesiredState(pathOrDir: string, opts: LoadOptions = {}): Promise<DesiredState> {
  const files = await desiredFiles(pathOrDir);
  const resources: Resource[] = [];
  const seen = new Map<string, Resource>();
  const claimed = new Map<string, Resource>();
  const handlers = new HandlerCollector();
  for (const file of files) {
    const text = await readDesiredFile(file);
    opts.onDesiredText?.(file, text);
    await addFile(text, file, resources, seen, claimed, opts, handlers);
  }
  handlers.check();
  return { files, resources, handlers: handlers.handlers };
}
