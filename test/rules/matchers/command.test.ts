// Verification probes on a "live" host whose commands are stubbed: the real
// machine's accounts and GPUs are never touched.

import { RootedHost } from '../../../src/host/rooted-host.js';
import type { RunResult } from '../../../src/host/types.js';
import { runRules } from '../../../src/rules/engine.js';
import { loadRules } from '../../../src/rules/load.js';
import type { Rule } from '../../../src/rules/types.js';
import { file, makeRoot, type TempRoot, type Tree } from '../../helpers/temp-root.js';
import { liveView, result, type RunStub } from '../../helpers/live-view.js';
import { ELF } from '../fixtures.js';

let rules: Rule[];
let root: TempRoot | undefined;
beforeAll(async () => {
  rules = (await loadRules([])).filter((r) => r.match.type === 'command');
});
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

const PASSWD: Record<string, string> = {
  root: 'root:x:0:0::/root:/bin/bash',
  alice: 'alice:x:1001:1001::/home/alice:/bin/bash',
  svc: 'svc:x:998:998::/nonexistent:/usr/sbin/nologin',
  datasciencelab: 'datasciencelab:x:1000:1000::/home/datasciencelab:/bin/bash',
};

const TOOLS: Tree = {
  'usr/bin/nvidia-smi': file(ELF, { mode: 0o755 }),
  'usr/sbin/runuser': file(ELF, { mode: 0o755 }),
};

/** getent answers from PASSWD and a docker group; `probe` answers everything else. */
function stub(probe: (args: string[]) => RunResult, docker = 'root,svc,alice,datasciencelab'): RunStub {
  return (command, args) => {
    if (command === 'getent' && args[0] === 'passwd') {
      const line = PASSWD[args[1]!];
      return line ? result(0, line + '\n') : result(2);
    }
    if (command === 'getent' && args[0] === 'group') {
      return args[1] === 'docker' ? result(0, `docker:x:999:${docker}\n`) : result(2);
    }
    return probe([command, ...args]);
  };
}

async function live(tree: Tree, run: RunStub) {
  root = await makeRoot(tree);
  const host = liveView(new RootedHost(root.dir), run);
  return { host, run: await runRules(host, rules) };
}

const byRule = (findings: Awaited<ReturnType<typeof runRules>>['findings'], id: string) =>
  findings.filter((f) => f.rule === id);

describe('verification probes', () => {
  it('pass quietly on a healthy host, running nvidia-smi as the first unprivileged docker member', async () => {
    const { host, run } = await live(
      TOOLS,
      stub((argv) => {
        if (argv.includes('nvidia-smi')) return result(0, 'GPU 0: NVIDIA A100 (UUID: GPU-1)\n');
        const user = argv[2];
        return result(0, `Welcome\nreconcile-probe:${user === 'datasciencelab' ? '' : 'set'}:\n`);
      }),
    );
    expect(run.findings).toEqual([]);
    expect(run.evaluated.map((r) => r.id).sort()).toEqual(rules.map((r) => r.id).sort());
    // root and the nologin account are skipped; alice is the first usable member.
    expect(host.calls).toContainEqual(['runuser', '-u', 'alice', '--', 'nvidia-smi', '-L']);
    expect(host.calls.some((c) => c[0] === 'runuser' && c.includes('-l') && c[2] === 'alice')).toBe(true);
    expect(host.calls.some((c) => c[0] === 'runuser' && c.includes('-l') && c[2] === 'datasciencelab')).toBe(true);
  });

  it('fail with the command and its error when nvidia-smi is refused', async () => {
    const { run } = await live(
      TOOLS,
      stub((argv) =>
        argv.includes('nvidia-smi')
          ? result(9, '', 'Failed to initialize NVML: Insufficient Permissions\n')
          : result(0, 'reconcile-probe:set:\n'),
      ),
    );
    const [f] = byRule(run.findings, 'verify-nvidia-smi-docker-user');
    expect(f!.status).toBe('fail');
    expect(f!.target).toBe('runuser -u alice -- nvidia-smi -L');
    expect(f!.message).toContain('exited 9, expected 0 (Failed to initialize NVML: Insufficient Permissions)');
  });

  it('fail when a non-exempt login shell does not see CUDA_VISIBLE_DEVICES set and empty', async () => {
    const { run } = await live(
      TOOLS,
      stub((argv) => (argv.includes('nvidia-smi') ? result(0, 'GPU 0: x\n') : result(0, 'reconcile-probe::\n'))),
    );
    const hidden = byRule(run.findings, 'verify-cuda-hidden-login-shell');
    expect(hidden).toHaveLength(1);
    expect(hidden[0]!.message).toContain('reconcile-probe::');
    expect(byRule(run.findings, 'verify-cuda-exempt-login-shell')).toEqual([]);
  });

  it('fail when the exempt user has the GPUs hidden too', async () => {
    const { run } = await live(
      TOOLS,
      stub((argv) => (argv.includes('nvidia-smi') ? result(0, 'GPU 0: x\n') : result(0, 'reconcile-probe:set:\n'))),
    );
    const [f] = byRule(run.findings, 'verify-cuda-exempt-login-shell');
    expect(f!.status).toBe('fail');
    expect(f!.severity).toBe('warning');
    expect(byRule(run.findings, 'verify-cuda-hidden-login-shell')).toEqual([]);
  });

  it('skip users holding a grant file when choosing the non-exempt user', async () => {
    const { host } = await live(
      { ...TOOLS, 'var/lib/ds01/bare-metal-grants/alice.json': '{}' },
      stub(() => result(0, 'GPU 0: x\nreconcile-probe:set:\n'), 'alice,bob2,datasciencelab'),
    );
    expect(host.calls.some((c) => c[0] === 'runuser' && c.includes('-l') && c[2] === 'alice')).toBe(false);
  });

  it('are skipped, never failed, where nvidia-smi is missing', async () => {
    const { host, run } = await live(
      { 'usr/sbin/runuser': file(ELF, { mode: 0o755 }), 'dev/nvidiactl': 'stand-in for a node' },
      stub(() => result(0, 'reconcile-probe:set:\n')),
    );
    const [f, ...rest] = byRule(run.findings, 'verify-nvidia-smi-docker-user');
    expect(rest).toEqual([]);
    expect(f!.status).toBe('skipped');
    expect(f!.message).toMatch(/^skipped: nvidia-smi is not installed/);
    expect(host.calls.some((c) => c.includes('nvidia-smi'))).toBe(false);
  });

  it('report a timeout as a failure naming the limit', async () => {
    const { run } = await live(
      TOOLS,
      stub((argv) =>
        argv.includes('nvidia-smi')
          ? { ...result(-1), timedOut: true }
          : result(0, 'reconcile-probe:set:\n'),
      ),
    );
    const [f] = byRule(run.findings, 'verify-nvidia-smi-docker-user');
    expect(f!.message).toContain('did not finish within 30 s');
  });

  it('pass the timeout to Host.run', async () => {
    const seen: Array<number | undefined> = [];
    await live(
      TOOLS,
      (command, args, opts) => {
        if (command === 'runuser') seen.push(opts?.timeoutMs);
        return stub(() => result(0, 'GPU 0: x\nreconcile-probe:set:\n'))(command, args, opts);
      },
    );
    expect(seen).toContain(30000);
    expect(seen).toContain(20000);
  });

  it('are skipped when there is nobody to run as', async () => {
    const { run } = await live(TOOLS, stub(() => result(0, 'GPU 0: x\n'), 'root,svc'));
    const [f] = byRule(run.findings, 'verify-nvidia-smi-docker-user');
    expect(f!.status).toBe('skipped');
    expect(f!.message).toContain('no unprivileged member of docker');
  });

  it('do not run on a host without NVIDIA files', async () => {
    const { host, run } = await live({}, stub(() => result(0)));
    expect(run.findings).toEqual([]);
    expect(host.calls.filter((c) => c[0] === 'runuser')).toEqual([]);
  });
});
