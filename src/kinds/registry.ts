// Kind name -> definition: the one place a kind is registered. The resource
// types, the kind list, the schema's kinds and the plan's target namespaces
// all derive from this object, so a kind cannot be half-registered.

import { absentKind } from './absent/index.js';
import { deviceModeKind } from './device-mode/index.js';
import { directoryKind } from './directory/index.js';
import { fileKind } from './file/index.js';
import { groupKind } from './group/index.js';
import type { KindDefinition, ResourceBase } from './kind.js';
import { permissionsKind } from './permissions/index.js';
import { profileEnvKind } from './profile-env/index.js';
import { restoreOriginalKind } from './restore-original/index.js';
import { symlinkKind } from './symlink/index.js';
import { packageKind } from './package/index.js';
import { serviceKind } from './service/index.js';
import { generatedKind } from './generated/index.js';

// Each key must equal its definition's `kind` (checked by the compiler).
function registry<T extends { [K in keyof T]: { kind: K } }>(kinds: T): T {
  return kinds;
}

export const KINDS = registry({
  file: fileKind,
  absent: absentKind,
  'profile-env': profileEnvKind,
  group: groupKind,
  'device-mode': deviceModeKind,
  'restore-original': restoreOriginalKind,
  symlink: symlinkKind,
  directory: directoryKind,
  permissions: permissionsKind,
  service: serviceKind,
  package: packageKind,
  generated: generatedKind,
});

type Kinds = typeof KINDS;
type ResourceOf<D> = D extends KindDefinition<infer R, infer _O> ? R : never;

export type ResourceKind = keyof Kinds;
export type Resource = { [K in ResourceKind]: ResourceOf<Kinds[K]> }[ResourceKind];

export const RESOURCE_KINDS = Object.keys(KINDS) as ResourceKind[];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKind = KindDefinition<ResourceBase & { kind: string }, any>;

export function kindDefinition(kind: ResourceKind): KindDefinition<Resource, unknown> {
  return KINDS[kind] as unknown as AnyKind as KindDefinition<Resource, unknown>;
}

/** The probe and diff of a kind (build-plan's view of it). */
export const handlerFor = kindDefinition;
