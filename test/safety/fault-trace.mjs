// Preloaded (node --import) by the crash test into the built CLI: with
// RECONCILE_FAULT_AFTER=1 every fault point asks for SIGKILL of the process
// itself; with RECONCILE_FAULT_TRACE=FILE this records the call stack of each
// such request as one JSON line instead, and the apply runs to the end. The
// stacks tell the crash test how many steps an apply has and what each does.
import { appendFileSync } from 'node:fs';

const out = process.env.RECONCILE_FAULT_TRACE;
const kill = process.kill.bind(process);
if (out) {
  process.kill = (pid, signal) => {
    if (pid !== process.pid || signal !== 'SIGKILL') return kill(pid, signal);
    Error.stackTraceLimit = 50;
    const stack = (new Error().stack ?? '').split('\n').slice(2).map((l) => l.trim());
    appendFileSync(out, JSON.stringify(stack) + '\n');
    return true;
  };
}
