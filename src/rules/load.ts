// Loading rules: the built-in rules/ directory plus each --rules DIR, every
// file validated by schema/rule.schema.json. Bad input is a UserError with
// FILE:LINE:COL, the key path, what is wrong and how to fix it. YAML parsing
// and ajv-error wording are shared with the desired-state loader (src/model/).

import path from 'node:path';
import { UserError } from '../errors.js';
import { listLocal, packageRoot, readLocalText, statLocal } from '../host/local-files.js';
import { schemaFile } from '../model/schema-validator.js';
import { prebuiltRule } from './prebuilt-rules.js';
import type { Rule } from './types.js';

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
  // Only an edited or added rule file is parsed: yaml and ajv load here, not on every start.
  const { parseRuleText } = await import('./parse-rule.js');
  return parseRuleText(text, file);
}
