// kind: restore-original — a known wrapper sits at a path and the saved
// original beside it: move the original back (one atomic rename), as the
// first incident's restore script did by hand.

import type { FileStat } from '../../host/types.js';
import { scriptInvoking } from '../../host/wrapper-script.js';
import type { RestoreOriginalResource } from './types.js';
import { displayContent } from '../shared/content.js';
import { fingerprintOf } from '../shared/fingerprint.js';
import type { DiffResult, ResourceHandler } from '../kind.js';

export interface ObservedRestore {
  stat: FileStat | null;
  content: Buffer | null;
  original: FileStat | null;
  originalContent: Buffer | null;
}

export const restoreOriginalHandler: ResourceHandler<RestoreOriginalResource, ObservedRestore> = {
  kind: 'restore-original',
  async probe(host, res) {
    const [stat, original] = await Promise.all([host.lstat(res.path), host.lstat(res.original)]);
    const content = stat?.type === 'file' ? await host.readFile(res.path) : null;
    const originalContent = original?.type === 'file' ? await host.readFile(res.original) : null;
    return { stat, content, original, originalContent };
  },

  diff(res, obs) {
    const out: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
    const base = { resource: res.id, kind: res.kind, target: res.path };
    // By behaviour (a script running the original: the rule's predicate too),
    // or by the resource's own extra pattern where one is given.
    const isWrapper =
      obs.content !== null &&
      (scriptInvoking(obs.content, res.original) !== null ||
        (res.wrapperMatches !== undefined && new RegExp(res.wrapperMatches).test(obs.content.toString('latin1'))));
    if (obs.stat !== null && !isWrapper) {
      out.unchanged.push(base);
      return out;
    }
    if (obs.original?.type !== 'file') {
      if (obs.stat === null) {
        out.notes.push({ ...base, level: 'info', message: `${res.path} does not exist and there is no saved original: nothing to restore.` });
        out.unchanged.push(base);
      } else {
        out.errors.push({
          ...base,
          message: `${res.path} is the known wrapper, but the saved original ${res.original} is missing: reinstall the package that ships ${res.path}, then run again.`,
        });
      }
      return out;
    }
    out.changes.push({
      ...base,
      action: obs.stat === null ? 'create' : 'update',
      summary: `${res.path}: restore from ${res.original}`,
      content: { before: displayContent(obs.content), after: displayContent(obs.originalContent) },
      expect: fingerprintOf(obs.stat),
      op: { type: 'rename-over', from: res.original },
    });
    return out;
  },
};
