// Parsing and validating one rule file's text: what loadRuleFile does for a
// file that is not one of the shipped rules byte for byte (those come
// prebuilt). Loaded on demand, so a run with the shipped rules never loads
// yaml or ajv for them.

import type { ErrorObject } from 'ajv';
import { UserError } from '../errors.js';
import { closest } from '../model/closest.js';
import { parseYaml, type ParsedYaml } from '../model/parse-yaml.js';
import { describeError, mostUsefulError } from '../model/schema-errors.js';
import { schemaValidator } from '../model/schema-validator.js';
import { formatKeyPath, locate, nodeLocation, parsePointer, type KeyPath } from '../model/yaml-locate.js';
import { ruleSchemaPath } from './load.js';
import { MATCH_TYPES } from './matchers/registry.js';
import type { Match, Rule } from './types.js';

/** The rule in `text` (read from `file`), validated; a UserError with file:line:column when it is not one. */
export async function parseRuleText(text: string, file: string): Promise<Rule> {
  const parsed = parseYaml(text, file);
  const validate = await schemaValidator('rule');
  if (!validate(parsed.value)) throw schemaError(parsed, validate.errors ?? []);
  const value = parsed.value as Omit<Rule, 'source'>;
  checkRegexes(parsed, value.match);
  checkCommandUser(parsed, value.match);
  const { key } = locate(parsed, ['id']);
  return { ...value, source: nodeLocation(parsed, key) };
}

function schemaError(parsed: ParsedYaml, errors: ErrorObject[]): UserError {
  const best = mostUsefulError(parsed, errors);
  if (!best) return new UserError(`${parsed.file}: the rule does not match ${ruleSchemaPath()}.`);
  if (best.keyword === 'discriminator') {
    const keyPath = [...parsePointer(best.instancePath), 'type'];
    const tag = (best.params as { tagValue: unknown }).tagValue;
    const guess = typeof tag === 'string' ? closest(tag, MATCH_TYPES) : undefined;
    const what = typeof tag === 'string' ? `unknown match type ${JSON.stringify(tag)}` : '`type` must be a string';
    const fix = `${guess ? `did you mean \`${guess}\`? ` : ''}\`type\` is one of ${MATCH_TYPES.map((t) => `\`${t}\``).join(', ')}`;
    return located(parsed, keyPath, what, fix);
  }
  return describeError(parsed, best);
}

function located(parsed: ParsedYaml, keyPath: KeyPath, what: string, fix: string): UserError {
  const f = locate(parsed, keyPath);
  const loc = nodeLocation(parsed, f.node ?? f.key ?? f.nearest);
  return new UserError(`${loc.file}:${loc.line}:${loc.column}: ${formatKeyPath(keyPath)}: ${what}. Fix: ${fix}.`, loc);
}

/** Regular expressions in the rule must compile; the schema cannot say so. */
function checkRegexes(parsed: ParsedYaml, match: Match): void {
  const fields: Array<[KeyPath, string | undefined]> = [];
  if (match.type === 'file-content') fields.push([['match', 'pattern'], match.pattern]);
  if (match.type === 'udev-rule') {
    fields.push([['match', 'devices'], match.devices], [['match', 'runMatches'], match.runMatches]);
  }
  if (match.type === 'command') {
    fields.push(
      [['match', 'expect', 'stdoutMatches'], match.expect.stdoutMatches],
      [['match', 'expect', 'stdoutDoesNotMatch'], match.expect.stdoutDoesNotMatch],
    );
  }
  for (const [keyPath, source] of fields) {
    if (source === undefined) continue;
    try {
      new RegExp(source, 'm');
    } catch (err) {
      const reason = (err as Error).message.replace(/^Invalid regular expression: /, '');
      throw located(parsed, keyPath, `not a valid regular expression (${reason})`, 'escape special characters such as ( [ { with a backslash, or fix the expression');
    }
  }
}

function checkCommandUser(parsed: ParsedYaml, match: Match): void {
  if (match.type !== 'command' || !match.user) return;
  const n = (match.user.name === undefined ? 0 : 1) + (match.user.memberOf === undefined ? 0 : 1);
  if (n !== 1) {
    throw located(
      parsed,
      ['match', 'user'],
      n === 0 ? '`user` names nobody' : '`user` gives both `name` and `memberOf`',
      'give exactly one: `name: USER` for a fixed user, or `memberOf: GROUP` for the first unprivileged member',
    );
  }
}
