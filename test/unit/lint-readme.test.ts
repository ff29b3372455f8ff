/** README.md's table of lint rules is the registry's: the same rules, in the same order, with the same words. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { RULE_LIST } from '../../src/lint/rules/index.js';

const HEADER = '| rule | default | catches | why | the safe way |';

test("README.md's lint rule table lists exactly the registry's rules, with their severity and words", async () => {
  const lines = (await readFile(new URL('../../README.md', import.meta.url), 'utf8')).split('\n');
  const start = lines.indexOf(HEADER);
  assert.ok(start >= 0, `README.md has no line "${HEADER}"`);
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
  const rows = lines.slice(start + 2, end === -1 ? undefined : end);
  const expected = RULE_LIST.map((rule) => `| \`${rule.id}\` | ${rule.severity} | ${rule.catches} | ${rule.why} | ${rule.safe} |`);
  assert.deepEqual(rows, expected, `README.md's table should read:\n${[HEADER, lines[start + 1] ?? '', ...expected].join('\n')}`);
});
