// Runs a rule's match through the matcher registered for its type.

import type { Host } from '../../host/types.js';
import type { Hit, Match } from '../types.js';
import { matcherFor } from './registry.js';

export function runMatcher(host: Host, match: Match): Promise<Hit[]> {
  return matcherFor<Match>(match.type)(host, match);
}
