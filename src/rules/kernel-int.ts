// Integers as the tools that consume them read them. Normalise both sides
// before comparing: 438, 0666 and 0x1b6 are one mode to the kernel.

/**
 * The kernel's base-0 rule (kstrtouint(s, 0)): "0x"/"0X" prefix is hex, a
 * leading "0" is octal, anything else decimal. null when the kernel would
 * reject the text (e.g. "0999", "12abc", "").
 */
export function parseKernelInt(text: string): number | null {
  const s = text.trim();
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[0-7]*$/.test(s)) n = parseInt(s, 8);
  else if (/^[1-9][0-9]*$/.test(s)) n = parseInt(s, 10);
  else return null;
  return Number.isSafeInteger(n) ? n : null;
}

/** udev reads MODE= as octal whatever its prefix ("666" is 0666). null when not octal digits. */
export function parseUdevMode(text: string): number | null {
  const s = text.trim();
  if (!/^[0-7]{1,6}$/.test(s)) return null;
  return parseInt(s, 8);
}

/** 0o666 -> "0666", as people write modes. */
export function formatMode(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

/** Values from rule data ("0666", "438") as numbers; the schema has checked their syntax. */
export function allowedValues(values: string[]): Set<number> {
  const out = new Set<number>();
  for (const v of values) {
    const n = parseKernelInt(v);
    if (n !== null) out.add(n);
  }
  return out;
}

export function describeAllowed(values: string[]): string {
  return [...allowedValues(values)].map(formatMode).join(' or ');
}
