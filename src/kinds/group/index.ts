// kind: group — membership: listed users and every member of included groups.

import type { KindDefinition } from '../kind.js';
import { groupHandler, type GroupObserved } from './group.js';
import { schema } from './schema.js';
import type { GroupResource } from './types.js';

export const groupKind: KindDefinition<GroupResource, GroupObserved> = {
  ...groupHandler,
  schema,
  namespace: 'group',
  normalise: ({ raw, base }) => ({
    ...base,
    kind: 'group',
    group: raw.group as string,
    members: (raw.members as string[] | undefined) ?? [],
    include: (raw.include as string[] | undefined) ?? [],
    exclusive: (raw.exclusive as boolean | undefined) ?? false,
  }),
  literalTargets: (r) => [{ target: r.group, keyPath: ['group'] }],
};
