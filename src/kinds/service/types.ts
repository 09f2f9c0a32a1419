import type { ResourceBase } from '../kind.js';

/** A systemd unit enabled (at boot) and/or active (running now). Unset = left as it is. */
export interface ServiceResource extends ResourceBase {
  kind: 'service';
  /** As systemctl takes it: "cron", "ds01-exporter.service", "ds01-cleanup.timer". */
  unit: string;
  enabled?: boolean;
  active?: boolean;
}
