// The desired state's digest: what `--validate` prints and `--desired-digest`
// checks before a run, so a deploy can say "this reviewed desired state and no
// other". It covers the --desired path as it lies on disk: the file, or every
// directory, file and symlink below the directory (dotfiles and the files the
// YAML names included), by name, type and content. Modes and owners are not
// in it, so a checkout and the deployed copy agree; whether the copy may be
// trusted is config-trust's check, which a mismatch run never gets to.
//
// Defined in reconcile(8), so a deploy tool can compute it without reconcile
// (the Ansible role does, in Python): sha256 over one record per entry, in
// byte order of the relative path ("." for the path itself):
//   d - PATH\0          a directory
//   f SHA256 PATH\0     a regular file and the sha256 of its bytes
//   l SHA256 PATH\0     a symlink and the sha256 of its target
//   o - PATH\0          anything else
// The digest is "sha256:" and the hex of that.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';

const hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The digest of the desired state at `p` (a file, or a directory walked without following symlinks below it). */
export function desiredDigest(p: string): string {
  const entries: { rel: Buffer; record: Buffer }[] = [];
  const add = (type: string, hash: string, rel: Buffer) =>
    entries.push({ rel, record: Buffer.concat([Buffer.from(`${type} ${hash} `), rel, Buffer.from([0])]) });
  // Paths as bytes: a name that is not UTF-8 is still read, and hashed as it is.
  const visit = (abs: Buffer, rel: Buffer | null) => {
    // The given path itself may be a symlink (to the deployed directory); nothing below it is followed.
    const st = rel === null ? statSync(abs) : lstatSync(abs);
    const shown = rel ?? Buffer.from('.');
    if (st.isDirectory()) {
      add('d', '-', shown);
      for (const name of readdirSync(abs, { encoding: 'buffer' })) {
        visit(Buffer.concat([abs, SLASH, name]), rel === null ? name : Buffer.concat([rel, SLASH, name]));
      }
    } else if (st.isFile()) add('f', hex(readFileSync(abs)), shown);
    else if (st.isSymbolicLink()) add('l', hex(readlinkSync(abs, { encoding: 'buffer' })), shown);
    else add('o', '-', shown);
  };
  try {
    visit(Buffer.from(p), null);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code !== 'string') throw err;
    throw new UserError(`cannot read the desired state at ${p} for its digest (${e.code}${e.path ? `: ${Buffer.isBuffer(e.path) ? (e.path as Buffer).toString() : e.path}` : ''}): pass --desired the file or directory of the desired state.`);
  }
  entries.sort((a, b) => Buffer.compare(a.rel, b.rel));
  return 'sha256:' + hex(Buffer.concat(entries.map((e) => e.record)));
}

const SLASH = Buffer.from('/');
