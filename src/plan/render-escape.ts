// Text for people must not let the host's data drive the terminal: a file
// name or content with ESC[8m would hide the rest of the line, a newline in a
// name would forge a line of the plan. Control characters are shown escaped;
// JSON needs none of this (its encoder escapes them).

// C0 controls except tab and newline, DEL, C1 controls, and the Unicode
// bidirectional overrides that reorder what a reviewer sees.
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_OR_NEWLINE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\e' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Whole rendered text: every control character escaped except newline and tab. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** One field (a path, a name, a one-line message): newlines and tabs escaped too. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_OR_NEWLINE, escapeChar);
}
