// A plan is a value: plain JSON-able data computed from probes, rendered by
// src/plan/render-*.ts and consumed by src/apply/. Field names of Change and
// Summary are a public contract (`--format json`): add, never rename.

import type { ResourceKind } from '../model/types.js';

export type Action = 'create' | 'update' | 'delete';

/** What the target looked like when probed; re-checked before apply acts. */
export type Fingerprint =
  | { type: 'absent' }
  | {
      type: 'path';
      fileType: string;
      dev: number;
      ino: number;
      mode: number;
      uid: number;
      gid: number;
      size: number;
      mtimeMs: number;
    }
  | { type: 'group'; members: string[] }
  /** A systemd unit: is-enabled's and is-active's words (active null under --root). */
  | { type: 'service'; enabled: string; active: string | null }
  /** A Debian package: its installed version, null when not installed. */
  | { type: 'package'; version: string | null };

/** The single thing apply does for a change. Executed by src/apply/operations.ts. */
export type Operation =
  | {
      type: 'write-file';
      /** Full new content, base64 so any bytes survive JSON. */
      contentBase64: string;
      mode: number;
      uid: number;
      gid: number;
      /** Rollback only: the extended attributes (ACLs, capabilities, user.*; name -> base64) the file had, put back exactly. */
      xattrs?: Record<string, string>;
      /** argv run on the staged file ("{}" = its path inside the root) before the rename; non-zero: not installed. */
      validate?: string[];
    }
  | { type: 'set-attributes'; mode?: number; uid?: number; gid?: number }
  | { type: 'remove'; recursive: boolean }
  | { type: 'rename-over'; from: string }
  | {
      type: 'group-members';
      add: string[];
      remove: string[];
      /** Rollback only: the exact member order to leave (under --root), so etc/group is byte-identical again. */
      order?: string[];
    }
  /** A symlink with its exact target and owner (the symlink kind; rollback of a removed link). */
  | { type: 'restore-symlink'; linkTarget: string; uid: number; gid: number }
  /**
   * Rollback only: put a large backup's bytes back from its copy in the
   * backups, streamed and keeping holes (too large to carry base64 in the
   * plan); refused before the rename unless the bytes have this sha256.
   */
  | {
      type: 'restore-file';
      from: string;
      sha256: string;
      size: number;
      mode: number;
      uid: number;
      gid: number;
      /** The extended attributes the file had (name -> base64), put back exactly. */
      xattrs?: Record<string, string>;
    }
  /** A directory (the directory kind; rollback of a removed directory). */
  | { type: 'make-directory'; mode: number; uid: number; gid: number }
  /** systemctl enable/disable (enable) and start/stop (start); unset = leave. */
  | { type: 'service'; unit: string; enable?: boolean; start?: boolean }
  /** apt-get install, inside the root under --root. */
  | { type: 'install-packages'; names: string[] };

export interface AttributeChange {
  before: string | null;
  after: string | null;
}

export interface Change {
  resource: string;
  kind: ResourceKind;
  /** A path inside the root, or a group's name. */
  target: string;
  action: Action;
  /** One human line: what changes and why. */
  summary: string;
  /** mode, owner, group... as display strings ("0666", "root"). */
  attributes?: Record<string, AttributeChange>;
  /** Text content before/after, for a unified diff; null = no file. */
  content?: { before: string | null; after: string | null };
  members?: { add: string[]; remove: string[] };
  expect: Fingerprint;
  op: Operation;
  /** A create by a `prune: true` resource: journaled, so a later plan may delete it once undeclared. */
  prune?: true;
}

export interface Unchanged {
  resource: string;
  kind: ResourceKind;
  target: string;
}

export type NoteLevel = 'info' | 'warning';

/** Something worth saying that is not a change: "no /dev/nvidia* nodes". */
export interface Note {
  resource: string;
  level: NoteLevel;
  target?: string;
  message: string;
}

/** A resource that could not be planned (missing group, refused path). */
export interface PlanError {
  resource: string;
  kind: ResourceKind;
  target?: string;
  message: string;
}

export interface Summary {
  create: number;
  update: number;
  delete: number;
  unchanged: number;
  errors: number;
}

export interface Plan {
  changes: Change[];
  unchanged: Unchanged[];
  notes: Note[];
  errors: PlanError[];
  summary: Summary;
  /** Set when --target limited the plan: only these ids or targets were considered. */
  partial?: { targets: string[] };
  /** Handlers the changes notify, in declaration order; absent when none would run. */
  handlers?: PlannedHandler[];
}

/** A handler the plan would run at the end of the apply (src/apply/handlers.ts). */
export interface PlannedHandler {
  id: string;
  command: string[];
  timeoutSeconds: number;
  /** Resources whose changes notify it: it runs when at least one of them applied. */
  notifiedBy: string[];
  /** Why it will not run (under --root); it is then journaled as skipped. */
  skip?: string;
}
