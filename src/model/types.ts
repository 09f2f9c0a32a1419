// The desired state after loading and normalising: what the YAML says, with
// modes as numbers and every resource knowing where it was declared.

export type ResourceKind =
  | 'file'
  | 'absent'
  | 'profile-env'
  | 'group'
  | 'device-mode'
  | 'restore-original';

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  'file',
  'absent',
  'profile-env',
  'group',
  'device-mode',
  'restore-original',
];

/** Where something was declared: for error messages and plan output. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

interface ResourceBase {
  id: string;
  description?: string;
  source: SourceLocation;
}

/** A file with exact content, mode and ownership; or a file that must not exist. */
export interface FileResource extends ResourceBase {
  kind: 'file';
  path: string;
  state: 'present' | 'absent';
  /** Exact bytes as UTF-8 text; required when state is present. */
  content?: string;
  /** Permission bits, e.g. 0o644. Defaults: 0o644 on create, unchanged otherwise. */
  mode?: number;
  owner?: string;
  group?: string;
}

/** Paths and globs that must not exist. */
export interface AbsentResource extends ResourceBase {
  kind: 'absent';
  paths: string[];
  /** Directories are only removed (recursively) when this is true. */
  allowDirectories: boolean;
  /**
   * Guard: remove a match only when it is recognisably the thing we mean.
   * A regular file must have content matching `contentMatches`; a symlink
   * must have a target matching `linkTargetMatches` (or, when only
   * contentMatches is given, point at a file whose content matches).
   */
  onlyIf?: {
    contentMatches?: string;
    linkTargetMatches?: string;
  };
}

/** A generated /etc/profile.d script exporting variables for non-exempt login shells. */
export interface ProfileEnvResource extends ResourceBase {
  kind: 'profile-env';
  path: string;
  /** Variable name -> value; '' exports the variable set and empty. */
  env: Record<string, string>;
  exempt: {
    users: string[];
    groups: string[];
    /** Directory holding `<user>.json` grant files; a grant exempts that user. */
    grantDir?: string;
  };
  mode: number;
}

/** Group membership: G contains the listed users and every member of the included groups. */
export interface GroupResource extends ResourceBase {
  kind: 'group';
  group: string;
  members: string[];
  include: string[];
  /** Remove members not listed or included. Off by default: additive only. */
  exclusive: boolean;
}

/** Device nodes matching globs get mode, owner and group; symlinks are never followed. */
export interface DeviceModeResource extends ResourceBase {
  kind: 'device-mode';
  paths: string[];
  mode: number;
  owner: string;
  group: string;
}

/** Put a saved original back over a known wrapper (atomic rename). */
export interface RestoreOriginalResource extends ResourceBase {
  kind: 'restore-original';
  path: string;
  original: string;
  /** Regular expression that recognises the wrapper's content. */
  wrapperMatches: string;
}

export type Resource =
  | FileResource
  | AbsentResource
  | ProfileEnvResource
  | GroupResource
  | DeviceModeResource
  | RestoreOriginalResource;

export interface DesiredState {
  /** The files the state was loaded from, as given. */
  files: string[];
  resources: Resource[];
}
