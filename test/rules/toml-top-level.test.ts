import { readTomlRootTable, tomlBoolean } from '../../src/rules/toml-top-level.js';

// Shaped like the toolkit's shipped /etc/nvidia-container-runtime/config.toml:
// the switches are commented out (defaults), tables follow.
const SHIPPED = `disable-require = false
#swarm-resource = "DOCKER_RESOURCE_GPU"
#accept-nvidia-visible-devices-envvar-when-unprivileged = true
#accept-nvidia-visible-devices-as-volume-mounts = false

[nvidia-container-cli]
#root = "/run/nvidia/driver"
environment = []
ldconfig = "@/sbin/ldconfig.real"

[nvidia-container-runtime]
log-level = "info"
runtimes = [
    "docker-runc",
    "runc",
]
`;

describe('readTomlRootTable', () => {
  it('reads only the root table: commented keys and keys under [tables] are not there', () => {
    const t = readTomlRootTable(SHIPPED);
    expect([...t.entries.keys()]).toEqual(['disable-require']);
    expect(t.entries.get('disable-require')).toEqual({ value: 'false', line: 1 });
    expect(t.problems).toEqual([]);
  });

  it('strips trailing comments and reads quoted keys', () => {
    const t = readTomlRootTable('"accept-nvidia-visible-devices-envvar-when-unprivileged" = false # hardened\n');
    expect(t.entries.get('accept-nvidia-visible-devices-envvar-when-unprivileged')?.value).toBe('false');
  });

  it('never takes a line inside a multi-line array or string for a key or a header', () => {
    const text = 'a = [\n  "[not-a-table]",\n  "x = 1",\n]\nb = """\n[also not]\nc = true\n"""\nd = true\n[t]\ne = 1\n';
    const t = readTomlRootTable(text);
    expect([...t.entries.keys()]).toEqual(['a', 'b', 'd']);
    expect(t.entries.get('d')?.line).toBe(9);
  });

  it('reports a key defined twice, as the toolkit would refuse the file', () => {
    const t = readTomlRootTable('k = true\nk = false\n');
    expect(t.problems).toEqual([{ line: 2, message: '`k` is defined twice (first on line 1)' }]);
    expect(t.entries.get('k')?.value).toBe('true');
  });

  it('reads CRLF files', () => {
    expect(readTomlRootTable('k = false\r\n').entries.get('k')?.value).toBe('false');
  });

  it('is linear: a hostile megabyte of brackets and quotes is read in one pass', () => {
    const hostile = 'k = ' + '['.repeat(500_000) + '"'.repeat(500_000);
    const t = readTomlRootTable(hostile);
    expect(t.entries.has('k')).toBe(true);
  });
});

describe('tomlBoolean', () => {
  it('accepts only TOML booleans', () => {
    expect(tomlBoolean('true')).toBe(true);
    expect(tomlBoolean('false')).toBe(false);
    expect(tomlBoolean('"false"')).toBeNull();
    expect(tomlBoolean('0')).toBeNull();
  });
});
