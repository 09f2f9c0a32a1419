// Loading the desired state: one YAML file or a directory of them, parsed,
// validated against the schema and normalised into the model. Every problem
// is a UserError pointing at file:line:column.

import { UserError, errorMessage, formatLocation } from '../errors.js';
import { listLocal, readLocalText, statLocal } from '../host/local-files.js';
import { normaliseResources } from './normalise.js';
import { MAX_FILE_BYTES, parseYaml } from './parse-yaml.js';
import { validateAgainstSchema } from './schema-errors.js';
import type { DesiredState, Resource } from './types.js';
import { locate, nodeLocation } from './yaml-locate.js';

const SUFFIXES = ['.yaml', '.yml'];

/** Parse, validate and normalise one file's text; `fileName` is used in messages only. */
export async function validateDesiredStateText(text: string, fileName: string): Promise<Resource[]> {
  const parsed = parseYaml(text, fileName);
  await validateAgainstSchema(parsed);
  return normaliseResources(parsed);
}

async function readDesiredFile(file: string): Promise<string> {
  const st = await statLocal(file);
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
    throw new UserError(`${file}: cannot read the desired-state file (${errorMessage(err)}). Fix: check its permissions.`);
  }
}

/** The files a --desired argument names: the file itself, or a directory's *.yaml/*.yml, sorted. */
async function desiredFiles(pathOrDir: string): Promise<string[]> {
  const st = await statLocal(pathOrDir);
  if (!st) {
    throw new UserError(
      `${pathOrDir}: no desired state here (no such file or directory). ` +
        'Fix: pass --desired with a YAML file or a directory of *.yaml files, e.g. --desired desired-state/ds01.yaml.',
    );
  }
  if (!st.isDirectory) return [pathOrDir];
  const files = await listLocal(pathOrDir, SUFFIXES);
  if (files.length === 0) {
    throw new UserError(
      `${pathOrDir}: the directory holds no *.yaml or *.yml files, so there is no desired state to use. ` +
        'Fix: put the desired-state files there, or pass --desired with a file or another directory.',
    );
  }
  return files;
}

export async function loadDesiredState(pathOrDir: string): Promise<DesiredState> {
  const files = await desiredFiles(pathOrDir);
  const resources: Resource[] = [];
  const seen = new Map<string, Resource>();
  for (const file of files) {
    const text = await readDesiredFile(file);
    const parsed = parseYaml(text, file);
    await validateAgainstSchema(parsed);
    const list = normaliseResources(parsed);
    list.forEach((r, i) => {
      const earlier = seen.get(r.id);
      if (earlier) {
        const idNode = locate(parsed, ['resources', i, 'id']).node;
        const loc = nodeLocation(parsed, idNode);
        throw new UserError(
          `${formatLocation(loc)}: resources[${i}].id: duplicate id \`${r.id}\`, already declared at ` +
            `${formatLocation(earlier.source)}. Fix: ids are unique across all desired-state files; rename one of them.`,
          loc,
        );
      }
      seen.set(r.id, r);
      resources.push(r);
    });
  }
  return { files, resources };
}

