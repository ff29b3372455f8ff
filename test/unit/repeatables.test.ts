/** Repeatable files in the catalog and the planner: names, order, what runs again, what status shows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCatalog } from '../../src/core/catalog.js';
import { contentOf } from '../../src/core/checksum.js';
import { planRepeatables, repeatableStatus } from '../../src/core/plan-repeatables.js';
import type { RawFile } from '../../src/core/types.js';

const repeatable = (baseName: string, text = `CREATE OR REPLACE VIEW ${baseName.replace('.sql', '')} AS SELECT 1;\n`): RawFile => ({
  kind: 'repeatable',
  baseName,
  path: `repeatable/${baseName}`,
  content: contentOf(Buffer.from(text)),
});

const catalog = buildCatalog([repeatable('v_b.sql'), repeatable('V_a.sql'), repeatable('v-c.sql'), repeatable('1.sql')]);
const record = (name: string, checksum: string) => ({ name, checksum, appliedAt: new Date(0), executionMs: 1 });
const checksum = (name: string): string => catalog.repeatables.find((file) => file.name === name)?.checksum ?? '';

test('repeatable files are ordered by code point, the same on every machine whatever its locale', () => {
  assert.deepEqual(catalog.repeatables.map((file) => file.name), ['1', 'V_a', 'v-c', 'v_b']);
  assert.deepEqual(catalog.problems, []);
});

test('a name that is not NAME.sql is BAD_NAME; unreadable and non-UTF-8 files are refused as in migrations/', () => {
  const bad = buildCatalog([
    repeatable('two words.sql'),
    repeatable('.sql'),
    { kind: 'repeatable', baseName: 'gone.sql', path: 'repeatable/gone.sql', content: { unreadable: 'cannot be read' } },
    { kind: 'repeatable', baseName: 'latin.sql', path: 'repeatable/latin.sql', content: { invalidUtf8AtLine: 3 } },
  ]);
  assert.deepEqual(bad.problems.map((problem) => [problem.code, problem.file]), [
    ['BAD_NAME', 'repeatable/two words.sql'],
    ['BAD_NAME', 'repeatable/.sql'],
    ['UNREADABLE_FILE', 'repeatable/gone.sql'],
    ['INVALID_ENCODING', 'repeatable/latin.sql'],
  ]);
  assert.ok(bad.problems.every((problem) => problem.version === undefined), 'a repeatable file has no version');
});

test('the files that run are the new ones and those whose text changed since they last ran, in name order', () => {
  const { planned, problems } = planRepeatables(catalog, [record('1', checksum('1')), record('v_b', 'old'), record('gone', 'x')]);
  assert.deepEqual(problems, []);
  assert.deepEqual(planned.map(({ file }) => file.name), ['V_a', 'v-c', 'v_b']);
});

test('status: applied, pending, changed, and missing for a row whose file is gone', () => {
  const entries = repeatableStatus(catalog, [record('1', checksum('1')), record('v_b', 'old'), record('gone', 'x')]);
  assert.deepEqual(entries.map(({ name, state, path }) => [name, state, path]), [
    ['1', 'applied', 'repeatable/1.sql'],
    ['V_a', 'pending', 'repeatable/V_a.sql'],
    ['gone', 'missing', undefined],
    ['v-c', 'pending', 'repeatable/v-c.sql'],
    ['v_b', 'changed', 'repeatable/v_b.sql'],
  ]);
});

test('a no-transaction repeatable file, or one with a statement that cannot run in a transaction, is refused', () => {
  const files = buildCatalog([repeatable('ix.sql', '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix ON t (a);\n'), repeatable('iy.sql', 'CREATE INDEX CONCURRENTLY iy ON t (b);\n')]);
  const { problems } = planRepeatables(files, []);
  assert.deepEqual(problems.map((problem) => [problem.code, problem.file]), [
    ['REPEATABLE_NO_TRANSACTION', 'repeatable/ix.sql'],
    ['NEEDS_NO_TRANSACTION', 'repeatable/iy.sql'],
  ]);
});
