// service: probe `systemctl is-enabled` (and, live, `is-active`), diff pure.
// Under --root nothing runs, so `active` is a note there, never an error.

import type { Host } from '../../host/types.js';
import type { Change, Operation } from '../../plan/types.js';
import type { DiffResult, ResourceHandler } from '../kind.js';
import { activeState, unitFileState } from './systemctl.js';
import type { ServiceResource } from './types.js';

export interface ServiceObserved {
  /** is-enabled's word, or "not-found". */
  enabled: string;
  /** is-active's word; null under --root. */
  active: string | null;
}

/** Unit-file states that `enable` cannot change and that are not a problem: started by others or generated. */
const NOT_ENABLEABLE = new Set(['static', 'indirect', 'generated', 'transient']);
const ENABLED = new Set(['enabled', 'enabled-runtime', 'alias', 'linked', 'linked-runtime']);

export const serviceHandler: ResourceHandler<ServiceResource, ServiceObserved> = {
  kind: 'service',

  async probe(host: Host, r: ServiceResource): Promise<ServiceObserved> {
    return { enabled: await unitFileState(host, r.unit), active: await activeState(host, r.unit) };
  },

  diff(r: ServiceResource, obs: ServiceObserved): DiffResult {
    const result: DiffResult = { changes: [], unchanged: [], notes: [], errors: [] };
    const error = (message: string) => {
      result.errors.push({ resource: r.id, kind: 'service', target: r.unit, message });
      return result;
    };
    if (obs.enabled === 'not-found') {
      return error(`unit ${r.unit} does not exist: install the unit file (or the package that ships it) first, or fix the name`);
    }
    const op: Extract<Operation, { type: 'service' }> = { type: 'service', unit: r.unit };
    const parts: string[] = [];
    if (r.enabled !== undefined) {
      if (obs.enabled.startsWith('masked')) {
        return error(`unit ${r.unit} is ${obs.enabled}: reconcile does not unmask units; run systemctl unmask ${r.unit} if it should run`);
      }
      if (NOT_ENABLEABLE.has(obs.enabled)) {
        if (r.enabled) result.notes.push({ resource: r.id, level: 'info', target: r.unit, message: `${r.unit} is ${obs.enabled}: it has no [Install] section to enable; other units start it` });
      } else if (r.enabled !== ENABLED.has(obs.enabled)) {
        op.enable = r.enabled;
        parts.push(`${r.enabled ? 'enable' : 'disable'} (now ${obs.enabled})`);
      }
    }
    if (r.active !== undefined) {
      if (obs.active === null) {
        result.notes.push({
          resource: r.id,
          level: 'info',
          target: r.unit,
          message: `${r.unit}: ${r.active ? 'starting' : 'stopping'} is not possible under --root (no systemd runs there); ${r.active ? 'an enabled unit starts at the next boot' : 'nothing to stop'}`,
        });
      } else if (r.active !== (obs.active === 'active' || obs.active === 'reloading' || obs.active === 'activating')) {
        op.start = r.active;
        parts.push(`${r.active ? 'start' : 'stop'} (now ${obs.active})`);
      }
    }
    if (parts.length === 0) {
      result.unchanged.push({ resource: r.id, kind: 'service', target: r.unit });
      return result;
    }
    const change: Change = {
      resource: r.id,
      kind: 'service',
      target: r.unit,
      action: 'update',
      summary: `${r.unit}: ${parts.join('; ')}`,
      attributes: {
        ...(op.enable !== undefined ? { enabled: { before: obs.enabled, after: op.enable ? 'enabled' : 'disabled' } } : {}),
        ...(op.start !== undefined ? { active: { before: obs.active, after: op.start ? 'active' : 'inactive' } } : {}),
      },
      expect: { type: 'service', enabled: obs.enabled, active: obs.active },
      op,
    };
    result.changes.push(change);
    return result;
  },
};
