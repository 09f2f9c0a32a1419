// The one sentence every mode prints when --target narrowed the run, as
// Terraform warns about -target: the result is not the whole desired state.

export function partialWarning(targets: string[]): string {
  return `Warning: partial run: limited to --target ${targets.join(', ')}; the rest of the desired state was not considered, so this is not the whole picture.`;
}
