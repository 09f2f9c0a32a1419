// A progress line on stderr ("applying 812/2000 /etc/...") for runs long
// enough to wonder about: only when stderr is a terminal, and only once the
// run has taken about a second, so short runs and cron logs stay clean.

import { oneLine } from '../plan/render-escape.js';
import type { Output } from './output.js';

export interface Progress {
  update(verb: string, done: number, total: number, what: string): void;
  /** Clears the line before the result is printed. */
  clear(): void;
}

const NONE: Progress = { update: () => {}, clear: () => {} };

/** RECONCILE_PROGRESS_DELAY_MS (default 1000) lets tests see the line without a slow run. */
export function progressOn(io: Output, env: NodeJS.ProcessEnv = process.env): Progress {
  if (!io.errIsTTY || !io.status) return NONE;
  const status = io.status;
  const delay = Number(env.RECONCILE_PROGRESS_DELAY_MS ?? 1000);
  const start = Date.now();
  let shownAt = 0;
  let shown = false;
  let lastVerb = '';
  return {
    update(verb, done, total, what) {
      const now = Date.now();
      if (now - start < delay) return;
      // At most ten redraws a second (a terminal is slower than a fast apply), but
      // always the first and the last of each stage.
      if (shown && now - shownAt < 100 && done !== total && verb === lastVerb) return;
      lastVerb = verb;
      shown = true;
      shownAt = now;
      const width = Math.max(20, (process.stderr.columns || 80) - 1);
      const line = `${verb} ${done}/${total} ${oneLine(what)}`;
      status(`\r\x1b[K${line.length > width ? `${line.slice(0, width - 3)}...` : line}`);
    },
    clear() {
      if (shown) status('\r\x1b[K');
      shown = false;
    },
  };
}
