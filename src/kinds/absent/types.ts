import type { ResourceBase } from '../kind.js';

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
