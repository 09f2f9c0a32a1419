// What makes a file a wrapper, by what it does rather than by a comment one
// version of it carried: a script (not the native binary) that runs the saved
// original. The regression rule (device-create-wrapper) and the resource that
// restores the original (restore-original) both decide with this one
// predicate, so every wrapper the rule reports is one the resource replaces.

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export interface WrapperEvidence {
  /** 1-based line that runs the original. */
  line: number;
  /** That line, trimmed and clipped, for messages. */
  text: string;
  /** "a script (#!/bin/bash)" or "a script without #! (run by sh)". */
  description: string;
}

/**
 * Evidence that `content` is a script invoking `original`: a non-comment line
 * naming the original's path or file name, or `<variable>.original` when the
 * original is the wrapped path plus ".original" (`"$0.original" "$@"`).
 * null for a native (ELF) binary, an empty file, or a script that never
 * mentions the original. Linear in the size of the content.
 */
export function scriptInvoking(content: Buffer, original: string): WrapperEvidence | null {
  if (content.length === 0 || content.subarray(0, 4).equals(ELF_MAGIC)) return null;
  // Bytes as latin1: one char per byte, so no decoding error hides a line.
  const text = content.toString('latin1');
  const name = original.slice(original.lastIndexOf('/') + 1);
  const bySuffix = original.endsWith('.original');
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    lineNo++;
    const line = text.slice(start, end);
    const code = stripComment(line);
    if (code.includes(name) || (bySuffix && SELF_ORIGINAL.test(code))) {
      return { line: lineNo, text: clip(line.trim()), description: describeScript(text) };
    }
    if (nl < 0) break;
    start = nl + 1;
  }
  return null;
}

/** `$0.original`, `${0}.original`, `"$SELF".original`, `${BASH_SOURCE[0]}.original`. */
const SELF_ORIGINAL = /\$\{?[A-Za-z0-9_@#[\]]+\}?["']?\.original\b/;

/** A line without its shell comment: text from an unquoted `#` at a word start on. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function describeScript(text: string): string {
  if (!text.startsWith('#!')) return 'a script without #! (run by sh)';
  const first = text.slice(0, Math.min(text.length, 120)).split('\n')[0]!.trim();
  return `a script (${first})`;
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 120)}...` : s;
}
