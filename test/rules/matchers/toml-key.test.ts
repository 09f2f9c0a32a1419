import { RootedHost } from '../../../src/host/rooted-host.js';
import { matchTomlKey } from '../../../src/rules/matchers/toml-key.js';
import type { TomlKeyMatch } from '../../../src/rules/types.js';
import { file, makeRoot, type TempRoot } from '../../helpers/temp-root.js';

const CONFIG = '/etc/nvidia-container-runtime/config.toml';
const match: TomlKeyMatch = {
  type: 'toml-key',
  path: CONFIG,
  key: 'accept-nvidia-visible-devices-envvar-when-unprivileged',
  default: true,
  allowed: [false],
};

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.cleanup();
  root = undefined;
});

async function hits(content?: string): Promise<string[]> {
  root = await makeRoot(content === undefined ? {} : { [CONFIG.slice(1)]: file(content) });
  return (await matchTomlKey(new RootedHost(root.dir), match)).map((h) => h.message);
}

describe('toml-key', () => {
  it('is quiet when the toolkit is not installed (no file)', async () => {
    expect(await hits()).toEqual([]);
  });

  it('fires when the key is absent or only commented out: the default (true) applies', async () => {
    const [msg, ...rest] = await hits('#accept-nvidia-visible-devices-envvar-when-unprivileged = false\n[nvidia-container-cli]\n');
    expect(rest).toEqual([]);
    expect(msg).toContain('does not set accept-nvidia-visible-devices-envvar-when-unprivileged');
    expect(msg).toContain('default (true)');
  });

  it('fires when the key is true, naming the line', async () => {
    expect(await hits('disable-require = false\naccept-nvidia-visible-devices-envvar-when-unprivileged = true\n')).toEqual([
      `${CONFIG} line 2 sets accept-nvidia-visible-devices-envvar-when-unprivileged = true; it must be false.`,
    ]);
  });

  it('is quiet when the key is false in the root table', async () => {
    expect(await hits('accept-nvidia-visible-devices-envvar-when-unprivileged = false # hardened\n')).toEqual([]);
  });

  it('does not count the key under a [table]: the toolkit ignores it there', async () => {
    expect(await hits('[nvidia-container-cli]\naccept-nvidia-visible-devices-envvar-when-unprivileged = false\n')).toHaveLength(1);
  });

  it('fires on a string "false", which is not a boolean', async () => {
    const [msg] = await hits('accept-nvidia-visible-devices-envvar-when-unprivileged = "false"\n');
    expect(msg).toContain('not a TOML boolean');
  });
});
