/** A schema-checked octal mode string ("0644", "644") as permission bits. */
export function parseMode(mode: string): number {
  return parseInt(mode, 8);
}
