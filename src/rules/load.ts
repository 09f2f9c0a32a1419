// Loading rules: the built-in rules/ directory plus each --rules DIR, every
// file validated by schema/rule.schema.json. Bad input is a UserError with
// FILE:LINE:COL, the key path, what is wrong and how to fix it. YAML parsing
// and ajv-error wording are shared with the desired-state loader (src/model/).

import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { UserError } from '../errors.js';
import { listLocal, packageRoot, readLocalText, statLocal } from '../host/local-files.js';
import { parseYaml, type ParsedYaml } from '../model/parse-yaml.js';
import { closest, describeError, mostUsefulError } from '../model/schema-errors.js';
import { schemaFile, schemaValidator } from '../model/schema-validator.js';
import { formatKeyPath, locate, nodeLocation, parsePointer, type KeyPath } from '../model/yaml-locate.js';
import { MATCH_TYPES } from './matchers/registry.js';
import { prebuiltRule } from './prebuilt-rules.js';
import type { Match, Rule } from './types.js';

export { MATCH_TYPES } from './matchers/registry.js';

export function builtinRulesDir(): string {
  return path.join(packageRoot(), 'rules');
}

export function ruleSchemaPath(): string {
  return schemaFile('rule');
}

/** The built-in rules plus every rule in extraDirs. Rule ids are unique across all of them. */
export async function loadRules(extraDirs: string[]): Promise<Rule[]> {
  const rules: Rule[] = [];
  const byId = new Map<string, Rule>();
  const dirs = [builtinRulesDir(), ...extraDirs];
  for (const dir of dirs) {
    const st = await statLocal(dir);
    if (!st || !st.isDirectory) {
      throw new UserError(
        `${dir}: ${st ? 'is not a directory' : 'does not exist'}. Fix: pass --rules a directory of rule files (*.yaml), one rule per file.`,
      );
    }
    for (const file of await listLocal(dir, ['.yaml', '.yml'])) {
      const rule = await loadRuleFile(file);
      const earlier = byId.get(rule.id);
      if (earlier) {
        const a = earlier.source;
        const b = rule.source;
        throw new UserError(
          `${b.file}:${b.line}:${b.column}: id: rule id \`${rule.id}\` is already used by ${a.file}:${a.line}:${a.column}. ` +
            'Fix: give one of the two rules another id (ids are unique across the built-in rules and every --rules directory).',
          b,
        );
      }
      byId.set(rule.id, rule);
      rules.push(rule);
    }
  }
  return rules;
}

export async function loadRuleFile(file: string): Promise<Rule> {
  const text = await readLocalText(file);
  // parseYaml's own empty-file hint is about desired state.
  if (text.split('\n').every((l) => /^\s*(#.*)?$/.test(l))) {
    throw new UserError(
      `${file}:1:1: the rule file is empty. Fix: write one rule (id, severity, title, why, match, remediation; see the built-in rules/*.yaml), or remove the file.`,
      { file, line: 1, column: 1 },
    );
  }
  const prebuilt = prebuiltRule(text);
  if (prebuilt) return { ...prebuilt, source: { file, ...prebuilt.source } };
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
