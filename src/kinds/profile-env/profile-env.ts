// profile-env: a root-owned /etc/profile.d script whose content is generated
// from the resource (see profile-script.ts); otherwise an ordinary managed
// file, so it shares the file kind's probe and diff.

import type { ProfileEnvResource } from './types.js';
import { diffManagedFile, probeFile, type ObservedFile } from '../file/file.js';
import { failedDiff, type DiffResult, type ResourceHandler } from '../kind.js';
import { renderProfileScript } from './profile-script.js';

export const profileEnvHandler: ResourceHandler<ProfileEnvResource, ObservedFile> = {
  kind: 'profile-env',

  probe: (host, resource) => probeFile(host, resource.path, 'root', 'root'),

  diff(resource: ProfileEnvResource, observed: ObservedFile): DiffResult {
    let wanted: string;
    try {
      wanted = renderProfileScript(resource);
    } catch (err) {
      return failedDiff(resource, `cannot generate ${resource.path}: ${(err as Error).message}`, resource.path);
    }
    return diffManagedFile(resource, resource.path, {
      content: wanted,
      mode: resource.mode,
      owner: 'root',
      group: 'root',
      purpose: `exports ${Object.keys(resource.env).join(', ')} in non-exempt login shells`,
    }, observed);
  },
};
