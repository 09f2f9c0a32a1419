// node:crypto, loaded on first use. Loading it (with the stream modules it
// pulls in) cost more than all of a warm plan's own work (issue 13), and a plan
// needs neither random names nor digests of host files; apply, rollback and
// cold loads do, and load it then. Same signatures as node:crypto's.

import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';

const load = createRequire(import.meta.url);
let crypto: typeof Crypto | undefined;

const nodeCrypto = (): typeof Crypto => (crypto ??= load('node:crypto') as typeof Crypto);

export const randomBytes = (size: number): Buffer => nodeCrypto().randomBytes(size);

export const createHash = (algorithm: string): Crypto.Hash => nodeCrypto().createHash(algorithm);
