// Crash testing: with RECONCILE_FAULT_AFTER=N in the environment, the process
// kills itself with SIGKILL at the N-th mutation step, so tests can prove that
// an apply interrupted at any instant leaves no torn or missing file.
// Without the variable this is a no-op.

let remaining: number | null = null;
let initialised = false;

export async function faultPoint(_label: string): Promise<void> {
  if (!initialised) {
    initialised = true;
    const raw = process.env.RECONCILE_FAULT_AFTER;
    remaining = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null;
  }
  if (remaining === null) return;
  remaining -= 1;
  if (remaining <= 0) process.kill(process.pid, 'SIGKILL');
}
