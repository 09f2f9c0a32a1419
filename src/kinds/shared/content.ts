// File content as plans show it: text for a unified diff, or a short
// stand-in for bytes that are not text.

const MAX_DIFF_BYTES = 256 * 1024;

/** The text to diff, or a placeholder such as "(binary, 1048576 bytes)". */
export function displayContent(buf: Buffer | null): string | null {
  if (buf === null) return null;
  if (buf.length > MAX_DIFF_BYTES) return `(${buf.length} bytes, too large to show)\n`;
  if (buf.includes(0)) return `(binary, ${buf.length} bytes)\n`;
  const text = buf.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(buf)) return text;
  return `(binary, ${buf.length} bytes)\n`;
}
