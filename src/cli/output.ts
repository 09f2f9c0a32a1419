// Where command output goes. Commands write through this so tests can run
// them in-process and capture what a person would see.

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal (colour, no syslog line). */
  isTTY: boolean;
  /** stderr is a terminal (progress lines). */
  errIsTTY?: boolean;
  /** A progress line on stderr, written as is (its own \r and erase-line codes). */
  status?(text: string): void;
}

/** Streams whose reader has gone (EPIPE): nothing more is written to them. */
const closed = new Set<NodeJS.WriteStream>();

function write(stream: NodeJS.WriteStream, text: string): void {
  if (closed.has(stream)) return;
  try {
    stream.write(text);
  } catch {
    closed.add(stream);
  }
}

export const processOutput: Output = {
  out: (t) => write(process.stdout, t),
  err: (t) => write(process.stderr, t),
  isTTY: Boolean(process.stdout.isTTY),
  errIsTTY: Boolean(process.stderr.isTTY),
  status: (t) => write(process.stderr, t),
};

/**
 * A reader that closed the pipe (`| head -1`, `| grep -q`, `| true`) is not a
 * failure of the run: stop writing quietly and keep the mode's exit code (an
 * apply's outcome is in its journal regardless). Without this, Node turns the
 * EPIPE into an uncaught exception with a stack trace and exit 1.
 */
export function quietOnClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      closed.add(stream);
      if (err.code !== 'EPIPE' && stream === process.stdout) {
        write(process.stderr, `reconcile: warning: cannot write the output: ${err.message}\n`);
      }
    });
  }
}
