// One line to syslog through logger(1) on the running machine, for cron runs
// where nobody reads stdout. Silent when logger is not installed.

export async function logToSyslog(message: string, priority = 'user.notice'): Promise<boolean> {
  const { execa } = await import('execa');
  const result = await execa('logger', ['-t', 'reconcile', '-p', priority, '--', message], { reject: false, timeout: 5000 });
  return result.exitCode === 0;
}
