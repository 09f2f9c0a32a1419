// Rules read whatever is on the host, including files an unprivileged user
// may have planted (a megabyte of `chmod chmod ...` in a wrapper). Reads made
// for rules are capped: a file over the cap is not examined, and the rule
// says so (a rule that could not be checked never looks like one that passed).

import { UserError } from '../errors.js';
import type { Host } from '../host/types.js';

/** Far above any config file, script or wrapper a rule looks at. */
export const MAX_RULE_READ_BYTES = 1024 * 1024;

export class OversizedForRules extends UserError {
  constructor(path: string, size: number, limit: number) {
    super(`${path} is ${size} bytes, over the ${limit}-byte limit of what rules read, so it was not examined; look at it by hand`);
    this.name = 'OversizedForRules';
  }
}

/** The same host, with readFile/readText refusing files larger than `limit`. */
export function withBoundedReads(host: Host, limit = MAX_RULE_READ_BYTES): Host {
  const guard = async (path: string): Promise<void> => {
    const st = await host.stat(path);
    if (st && st.type === 'file' && st.size > limit) throw new OversizedForRules(path, st.size, limit);
  };
  return new Proxy(host, {
    get(target, prop, receiver) {
      if (prop === 'readFile' || prop === 'readText') {
        return async (path: string) => {
          await guard(path);
          const data = await (prop === 'readFile' ? target.readFile(path) : target.readText(path));
          // The size was checked before reading; a file that grew meanwhile is still refused.
          if (data !== null && Buffer.byteLength(data) > limit) throw new OversizedForRules(path, Buffer.byteLength(data), limit);
          return data;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
