// A Host that claims to be live but reads files from a temp root and runs
// commands through a stub: for testing the live-host paths (getent, gpasswd)
// without touching the running machine's accounts.

import type { Host, RunOptions, RunResult } from '../../src/host/types.js';

export type RunStub = (command: string, args: string[], opts?: RunOptions) => Promise<RunResult> | RunResult;

export interface LiveView extends Host {
  /** Every command run, as [command, ...args]. */
  calls: string[][];
}

export function liveView(files: Host, run: RunStub): LiveView {
  const calls: string[][] = [];
  const overrides: Partial<LiveView> = {
    root: '/',
    live: true,
    calls,
    run: async (command, args, opts) => {
      calls.push([command, ...args]);
      return run(command, args, opts);
    },
  };
  // Everything else (every file operation, present and future) goes to `files`.
  return new Proxy(files, {
    get(target, prop, receiver) {
      if (prop in overrides) return overrides[prop as keyof LiveView];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as LiveView;
}

export function result(exitCode: number, stdout = '', stderr = ''): RunResult {
  return { exitCode, stdout, stderr, notFound: false, timedOut: false };
}
