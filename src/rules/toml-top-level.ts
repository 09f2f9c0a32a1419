// The root table of a TOML file, as far as a rule needs it: top-level
// `key = value` lines before the first [table] header. The NVIDIA container
// toolkit reads its security switches (accept-nvidia-visible-devices-*) from
// there; the same key under [nvidia-container-cli] means nothing to it.
// Multi-line arrays and strings are skipped over, so a line inside them is
// never taken for a key or a header. Linear in the file's size.

export interface TomlEntry {
  /** The raw value text, comment stripped (`true`, `"x"`, `[...]`). */
  value: string;
  line: number;
}

export interface TomlRootTable {
  entries: Map<string, TomlEntry>;
  /** Lines that are not TOML the toolkit could read, with the reason. */
  problems: Array<{ line: number; message: string }>;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function readTomlRootTable(text: string): TomlRootTable {
  const entries = new Map<string, TomlEntry>();
  const problems: TomlRootTable['problems'] = [];
  const lines = text.split('\n');
  let open: Continuation | null = null;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/\r$/, '');
    if (open) {
      open = continueValue(open, line);
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    // The first table header ends the root table; nothing after it is top level.
    if (trimmed.startsWith('[')) break;
    const eq = findEquals(trimmed);
    if (eq < 0) {
      problems.push({ line: lineNo, message: 'not a `key = value` line' });
      continue;
    }
    const key = unquoteKey(trimmed.slice(0, eq).trim());
    const rest = trimmed.slice(eq + 1).trim();
    const scanned = scanValue(rest);
    if (key === null) {
      problems.push({ line: lineNo, message: 'a key that is neither bare nor quoted' });
    } else if (entries.has(key)) {
      // TOML forbids defining a key twice; the toolkit refuses such a file.
      problems.push({ line: lineNo, message: `\`${key}\` is defined twice (first on line ${entries.get(key)!.line})` });
    } else {
      entries.set(key, { value: scanned.value, line: lineNo });
    }
    open = scanned.continuation;
  }
  return { entries, problems };
}

/** A value that goes on past its line: an array, or a multi-line string. */
type Continuation = { kind: 'array'; depth: number } | { kind: 'string'; quote: '"""' | "'''" };

function findEquals(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '=') return i;
  }
  return -1;
}

function unquoteKey(raw: string): string | null {
  if (BARE_KEY.test(raw)) return raw;
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(raw) ?? /^'([^']*)'$/.exec(raw);
  if (m) return m[1]!;
  // A dotted key (a.b = 1) defines a sub-table; keep it whole, it is no switch of ours.
  if (/^[A-Za-z0-9_."'-]+$/.test(raw) && raw.includes('.')) return raw.replace(/\s+/g, '');
  return null;
}

/** The value text on this line without a trailing comment, and whether it continues. */
function scanValue(rest: string): { value: string; continuation: Continuation | null } {
  for (const quote of ['"""', "'''"] as const) {
    if (rest.startsWith(quote)) {
      const close = rest.indexOf(quote, 3);
      if (close < 0) return { value: rest, continuation: { kind: 'string', quote } };
      return { value: rest.slice(0, close + 3), continuation: null };
    }
  }
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === '#') return { value: rest.slice(0, i).trim(), continuation: depth > 0 ? { kind: 'array', depth } : null };
  }
  return { value: rest.trim(), continuation: depth > 0 ? { kind: 'array', depth } : null };
}

function continueValue(open: Continuation, line: string): Continuation | null {
  if (open.kind === 'string') return line.includes(open.quote) ? null : open;
  const scanned = scanValue(line);
  const depth = open.depth + (scanned.continuation?.kind === 'array' ? scanned.continuation.depth : bracketBalance(scanned.value));
  return depth > 0 ? { kind: 'array', depth } : null;
}

/** Net brackets on a line that closed (negative) or opened nothing new. */
function bracketBalance(value: string): number {
  let n = 0;
  let quote: string | null = null;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') n++;
    else if (c === ']' || c === '}') n--;
  }
  return n;
}

/** A TOML boolean, or null when the value is anything else (a string "false" is not false). */
export function tomlBoolean(value: string): boolean | null {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}
