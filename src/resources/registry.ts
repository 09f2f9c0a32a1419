// Kind name -> handler. The one place a new kind is registered.

import type { Resource, ResourceKind } from '../model/types.js';
import { absentHandler } from './absent.js';
import { deviceModeHandler } from './device-mode.js';
import { fileHandler } from './file.js';
import { groupHandler } from './group.js';
import type { ResourceHandler } from './handler.js';
import { profileEnvHandler } from './profile-env.js';
import { restoreOriginalHandler } from './restore-original.js';

const handlers = {
  file: fileHandler,
  absent: absentHandler,
  'profile-env': profileEnvHandler,
  group: groupHandler,
  'device-mode': deviceModeHandler,
  'restore-original': restoreOriginalHandler,
} satisfies { [K in ResourceKind]: ResourceHandler<Extract<Resource, { kind: K }>, unknown> };

export function handlerFor(kind: ResourceKind): ResourceHandler<Resource, unknown> {
  return handlers[kind] as ResourceHandler<Resource, unknown>;
}
