// Guardrails: a desired state may make a setuid root file or chmod /dev/sda
// to 0666 — that is the power of a config tool — but --validate and --plan
// say so, as warnings that never change the exit code. Generic over kinds:
// each kind lists the modes it declares (KindDefinition.declaredModes).

import { formatLocation } from '../errors.js';
import { kindDefinition } from '../kinds/registry.js';
import type { DeclaredMode } from '../kinds/kind.js';
import { modeString } from '../kinds/shared/fingerprint.js';
import type { Note } from '../plan/types.js';
import type { Resource } from './types.js';

/** Device nodes a GPU server hands to every user by design: /dev/nvidia0, /dev/nvidiactl, /dev/nvidia-uvm, /dev/nvidia-caps/... */
const GPU_DEVICE = /^\/dev\/nvidia[^/]*(\/|$)/;

/** Why a declared mode deserves a second look; [] when it does not. */
function concerns(d: DeclaredMode): string[] {
  const out: string[] = [];
  const uid = (d.mode & 0o4000) !== 0;
  const gid = (d.mode & 0o2000) !== 0;
  if (uid || gid) {
    const whose = [uid ? "owner's" : '', gid ? "group's" : ''].filter(Boolean).join(' and ');
    out.push(`${[uid ? 'setuid' : '', gid ? 'setgid' : ''].filter(Boolean).join(' and ')} (whoever runs it gets its ${whose} privileges)`);
  }
  const gpu = d.what === 'device' && GPU_DEVICE.test(d.path);
  if (d.mode & 0o002 && !gpu) {
    out.push(
      d.what === 'device'
        ? 'world-writable (every user can write to the device)'
        : `world-writable (every user can change ${d.what === 'directory' ? 'what is in it' : 'it'})`,
    );
  }
  if (d.what === 'device' && !gpu) out.push('a device outside /dev/nvidia* (a disk, a terminal, memory?)');
  return out;
}

export function guardrailNotes(resources: Resource[]): Note[] {
  const notes: Note[] = [];
  for (const r of resources) {
    for (const d of kindDefinition(r.kind).declaredModes?.(r) ?? []) {
      const why = concerns(d);
      if (why.length === 0) continue;
      notes.push({
        resource: r.id,
        level: 'warning',
        target: d.path,
        message:
          `${formatLocation(r.source)}: ${d.what} ${d.path} is declared mode ${modeString(d.mode)}: ${why.join('; ')}. ` +
          'reconcile will do exactly this as root; make sure it is meant.',
      });
    }
  }
  return notes;
}
