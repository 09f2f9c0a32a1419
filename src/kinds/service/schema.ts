// The `service` keys of the desired-state schema (npm run schema writes schema/desired-state.schema.json).

import type { KindSchema } from '../kind.js';

export const schema: KindSchema = {
  description: "A systemd unit enabled at boot and/or active now (systemctl is-enabled/is-active; enable/disable, start/stop).",
  required: ["unit"],
  properties: {
    unit: {
      type: "string",
      pattern: "^[A-Za-z0-9:_.@\\-]+$",
      "x-hints": { pattern: "a unit name such as `cron`, `ds01-exporter.service` or `ds01-cleanup.timer` (letters, digits, `:_.@-`, no paths)" },
    },
    enabled: { type: "boolean" },
    active: { type: "boolean" },
  },
  anyOf: [{ required: ["enabled"] }, { required: ["active"] }],
  "x-hints": { anyOf: "a service resource says `enabled: true|false`, `active: true|false`, or both" },
};
