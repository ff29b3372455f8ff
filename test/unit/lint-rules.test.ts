/** The registry of lint rules: one module per rule, and each rule's own examples hold on the real parser. */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checksumOf } from '../../src/core/checksum.js';
import { analyzeScript } from '../../src/core/file-analysis.js';
import type { SqlFile } from '../../src/core/types.js';
import { lintFiles } from '../../src/lint/lint.js';
import type { LintRule, RuleExample } from '../../src/lint/rule.js';
import { RULE_LIST, RULES } from '../../src/lint/rules/index.js';

const rulesDir = fileURLToPath(new URL('../../src/lint/rules/', import.meta.url));

async function rulesFound({ sql, kind }: RuleExample): Promise<string[]> {
  const file: SqlFile = { kind, version: 7, name: 'change', path: `${kind}s/007_change.sql`, text: sql, checksum: checksumOf(sql) };
  const result = await lintFiles([{ file, analysis: analyzeScript(file) }]);
  assert.deepEqual(result.problems, [], sql);
  return result.findings.map((finding) => finding.rule);
}

test('each module in src/lint/rules is one rule, named by its id, and listed in the registry', async () => {
  const modules = (await readdir(rulesDir)).filter((name) => name.endsWith('.ts') && name !== 'index.ts');
  const listed: LintRule[] = [...RULE_LIST];
  for (const name of modules) {
    const { rule } = (await import(new URL(name, `file://${rulesDir}`).href)) as { rule: LintRule };
    assert.equal(`${rule.id}.ts`, name, 'a rule module is named by its id');
    assert.ok(listed.includes(rule), `${name} is not in RULE_LIST (src/lint/rules/index.ts)`);
  }
  assert.equal(modules.length, RULE_LIST.length, 'every registered rule has a module of its own');
  assert.equal(new Set(RULE_LIST.map((rule) => rule.id)).size, RULE_LIST.length, 'ids are unique');
});

test('the public RULES describe the registry, without code', () => {
  assert.deepEqual(
    RULES,
    RULE_LIST.map(({ id, catches, why, safe }) => ({ id, catches, why, safe })),
  );
  for (const rule of RULES) assert.deepEqual(Object.keys(rule), ['id', 'catches', 'why', 'safe']);
});

describe("each rule's examples: the bad ones give exactly its finding, the good ones no finding at all", () => {
  for (const rule of RULE_LIST) {
    test(rule.id, async () => {
      assert.ok(rule.examples.some((example) => example.fires), `${rule.id} needs an example that triggers it`);
      assert.ok(rule.examples.some((example) => !example.fires), `${rule.id} needs an example that does not`);
      for (const example of rule.examples) {
        assert.deepEqual(await rulesFound(example), example.fires ? [rule.id] : [], `${rule.id} in a ${example.kind}:\n${example.sql}`);
      }
    });
  }
});
