// kind: service — a systemd unit enabled and/or active.

import type { KindDefinition } from '../kind.js';
import { schema } from './schema.js';
import { serviceHandler, type ServiceObserved } from './service.js';
import type { ServiceResource } from './types.js';

const UNIT_TYPES = /\.(service|socket|target|timer|path|mount|automount|swap|slice|scope|device)$/;

/** systemctl reads "cron" as "cron.service"; so do we, so one unit has one name in plans and targets. */
export function unitName(unit: string): string {
  return UNIT_TYPES.test(unit) ? unit : `${unit}.service`;
}

export const serviceKind: KindDefinition<ServiceResource, ServiceObserved> = {
  ...serviceHandler,
  schema,
  namespace: 'unit',
  normalise: ({ raw, base }) => ({
    ...base,
    kind: 'service',
    unit: unitName(raw.unit as string),
    ...(raw.enabled !== undefined ? { enabled: raw.enabled as boolean } : {}),
    ...(raw.active !== undefined ? { active: raw.active as boolean } : {}),
  }),
  literalTargets: (r) => [{ target: r.unit, keyPath: ['unit'] }],
};
