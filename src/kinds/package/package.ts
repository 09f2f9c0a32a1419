// package: which listed packages dpkg says are installed; one change per missing package.

import type { Host } from '../../host/types.js';
import type { DiffResult, ResourceHandler } from '../kind.js';
import { installedVersions } from './dpkg.js';
import type { PackageResource } from './types.js';

export type PackageObserved = Record<string, string | null>;

export const packageHandler: ResourceHandler<PackageResource, PackageObserved> = {
  kind: 'package',
  probe: (host: Host, r: PackageResource) => installedVersions(host, r.names),
  diff(r: PackageResource, versions: PackageObserved): DiffResult {
    const result: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
    for (const name of r.names) {
      const version = versions[name] ?? null;
      if (version !== null) {
        result.unchanged.push({ resource: r.id, kind: 'package', target: name });
        continue;
      }
      result.changes.push({
        resource: r.id,
        kind: 'package',
        target: name,
        action: 'create',
        summary: `install package ${name} (apt-get install)`,
        expect: { type: 'package', version: null },
        op: { type: 'install-packages', names: [name] },
      });
    }
    return result;
  },
};
