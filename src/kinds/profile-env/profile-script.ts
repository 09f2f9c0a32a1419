// The /etc/profile.d script a profile-env resource stands for. /etc/profile
// sources it into login shells, which may be dash or bash, possibly with
// `set -eu` in effect, so it is plain POSIX sh that: never exits, never fails
// its last command, reads no variable it did not set, and unsets its helpers.

import type { ProfileEnvResource } from './types.js';

/** Helper variables are prefixed so they cannot clash with the user's. */
const PREFIX = '_reconcile_pe_';

/** 'it'\''s' : safe for any bytes except NUL, which no environment can hold. */
export function shQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell value cannot contain a NUL byte');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Comments must stay one line each whatever the names contain. */
function commentSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}

function checkEnvName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`environment variable name ${JSON.stringify(name)} is not a valid shell name (letters, digits, _; not starting with a digit)`);
  }
  if (name.startsWith(PREFIX)) {
    throw new Error(`environment variable name ${name} uses the prefix ${PREFIX}, which the generated script reserves for itself`);
  }
}

export function renderProfileScript(resource: ProfileEnvResource): string {
  const envNames = Object.keys(resource.env);
  envNames.forEach(checkEnvName);
  const { users, groups } = resource.exempt;
  const grantDir = resource.exempt.grantDir?.replace(/\/+$/, '') || undefined;
  const v = (name: string) => `${PREFIX}${name}`;

  const exemptions: string[] = [];
  if (users.length > 0) exemptions.push(`users ${users.join(', ')}`);
  if (groups.length > 0) exemptions.push(`members of ${groups.join(', ')}`);
  if (grantDir !== undefined) exemptions.push(`users with a grant file ${grantDir}/<user>.json`);

  const lines: string[] = [
    `# Managed by reconcile (resource ${resource.id}). Do not edit: the next`,
    '# `reconcile --apply` overwrites this file; change the desired state instead.',
    '# Sourced by /etc/profile in login shells (POSIX sh: dash and bash alike).',
    `# Sets ${envNames.join(', ') || '(nothing)'} for every user${exemptions.length > 0 ? ' except:' : '.'}`,
    ...exemptions.map((e) => `#   ${e}`),
  ].map(commentSafe);

  lines.push(
    '',
    // `|| ...` keeps `set -e` shells alive when id fails; an unknown user is not exempt.
    `${v('user')}=$(id -un 2>/dev/null) || ${v('user')}=`,
    `${v('exempt')}=`,
  );
  if (users.length > 0) {
    lines.push(
      `case "$${v('user')}" in`,
      `  ${users.map(shQuote).join('|')}) ${v('exempt')}=user ;;`,
      'esac',
    );
  }
  if (groups.length > 0) {
    // Whole-word match against " g1 g2 g3 ": no word splitting, no globbing,
    // so IFS and names with dots or @ cannot fool it.
    lines.push(
      `if [ -z "$${v('exempt')}" ]; then`,
      `  ${v('groups')}=" $(id -Gn 2>/dev/null) " || ${v('groups')}=' '`,
      `  case "$${v('groups')}" in`,
      `    ${groups.map((g) => `*${shQuote(` ${g} `)}*`).join('|')}) ${v('exempt')}=group ;;`,
      '  esac',
      'fi',
    );
  }
  if (grantDir !== undefined) {
    lines.push(
      `if [ -z "$${v('exempt')}" ] && [ -n "$${v('user')}" ] && [ -e ${shQuote(grantDir + '/')}"$${v('user')}"'.json' ]; then`,
      `  ${v('exempt')}=grant`,
      'fi',
    );
  }
  if (envNames.length > 0) {
    lines.push(
      `if [ -z "$${v('exempt')}" ]; then`,
      ...envNames.flatMap((name) => [
        // A literal $ or backtick in a value is meant literally: say so to shellcheck.
        ...(/[$`]/.test(resource.env[name]!) ? ['  # shellcheck disable=SC2016'] : []),
        `  export ${name}=${shQuote(resource.env[name]!)}`,
      ]),
      'fi',
    );
  }
  // Last command succeeds, so `.` returns 0 even under set -e.
  lines.push(`unset ${v('user')} ${v('groups')} ${v('exempt')}`);
  return lines.join('\n') + '\n';
}
