// One path component of a glob (* ? [abc] [a-z] [!x]) as a RegExp, with the
// shell's rule that wildcards do not match a leading dot.

export function hasGlobMagic(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** A glob segment that cannot be compiled; the message says what is wrong and how to write it. */
export class GlobPatternError extends Error {
  override name = 'GlobPatternError';
}

/** Throws GlobPatternError for a range written backwards ([z-a]), which a RegExp would refuse with a raw message. */
function checkRanges(segment: string, body: string): void {
  const chars = [...body];
  for (let j = 0; j + 2 < chars.length; j++) {
    if (chars[j + 1] !== '-') continue;
    const [from, to] = [chars[j]!, chars[j + 2]!];
    if (from.codePointAt(0)! > to.codePointAt(0)!) {
      throw new GlobPatternError(
        `glob ${JSON.stringify(segment)}: the range ${from}-${to} is out of order (${from} comes after ${to}); write it as ${to}-${from}`,
      );
    }
    j += 2;
  }
}

export function compileGlobSegment(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) {
        // The shell would match "[abc" literally; a desired state that says so is almost always a typo.
        throw new GlobPatternError(
          `glob ${JSON.stringify(segment)}: the [ at character ${i + 1} is never closed; close it with ] (write [[] to match a literal [)`,
        );
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      checkRanges(segment, body);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const leadingDot = segment.startsWith('.') ? '' : '(?!\\.)';
  try {
    return new RegExp(`^${leadingDot}${re}$`);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') : String(err);
    throw new GlobPatternError(`glob ${JSON.stringify(segment)} cannot be compiled (${reason}); use only * ? [abc] [a-z] [!x]`);
  }
}
