// Top-level `handlers` and each resource's `notify`: ids unique across files,
// every notified id declared in some file (checked once all files are read),
// each problem located at file:line:column.

import type { HandlerDefinition } from '../apply/handlers.js';
import { formatLocation, UserError } from '../errors.js';
import type { ParsedYaml } from './parse-yaml.js';
import type { Resource } from './types.js';
import { formatKeyPath, locate, nodeLocation, type KeyPath } from './yaml-locate.js';

interface RawHandler {
  id: string;
  command: string[];
  runUnderRoot?: boolean;
  timeoutSeconds?: number;
}

interface PendingNotify {
  handlerId: string;
  parsed: ParsedYaml;
  keyPath: KeyPath;
}

export class HandlerCollector {
  readonly handlers: HandlerDefinition[] = [];
  private readonly pending: PendingNotify[] = [];

  private at(parsed: ParsedYaml, keyPath: KeyPath) {
    return nodeLocation(parsed, locate(parsed, keyPath).node ?? locate(parsed, keyPath).nearest);
  }

  /** One file's handlers and its resources' notify lists (resources in file order). */
  add(parsed: ParsedYaml, resources: Resource[]): void {
    const raw = ((parsed.value as { handlers?: RawHandler[] }).handlers ?? []) as RawHandler[];
    raw.forEach((h, i) => {
      const source = this.at(parsed, ['handlers', i]);
      const earlier = this.handlers.find((e) => e.id === h.id);
      if (earlier) {
        const loc = this.at(parsed, ['handlers', i, 'id']);
        throw new UserError(
          `${formatLocation(loc)}: handlers[${i}].id: duplicate handler id \`${h.id}\`, already declared at ${formatLocation(earlier.source)}. ` +
            'Fix: handler ids are unique across all desired-state files; rename one of them or remove the copy.',
          loc,
        );
      }
      this.handlers.push({ id: h.id, command: h.command, runUnderRoot: h.runUnderRoot ?? false, timeoutSeconds: h.timeoutSeconds ?? 300, source });
    });
    resources.forEach((r, i) => {
      (r.notify ?? []).forEach((handlerId, j) => this.pending.push({ handlerId, parsed, keyPath: ['resources', i, 'notify', j] }));
    });
  }

  /** Throws a located error for the first notify naming no declared handler. */
  check(): void {
    for (const p of this.pending) {
      if (this.handlers.some((h) => h.id === p.handlerId)) continue;
      const loc = this.at(p.parsed, p.keyPath);
      const known = this.handlers.map((h) => h.id);
      throw new UserError(
        `${formatLocation(loc)}: ${formatKeyPath(p.keyPath)}: no handler has the id \`${p.handlerId}\`` +
          `${known.length ? ` (declared: ${known.join(', ')})` : ' (no handlers are declared)'}. ` +
          `Fix: add \`handlers: [{id: ${p.handlerId}, command: [...]}]\` at the top level of a desired-state file, or correct the id.`,
        loc,
      );
    }
  }
}
