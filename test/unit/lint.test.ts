/** Lint rules on real parse trees: one failing and one passing example per rule, then suppressions and config. */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { analyzeScript } from '../../src/core/file-analysis.js';
import { checksumOf } from '../../src/core/checksum.js';
import type { SqlFile } from '../../src/core/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { lintBeforeRun } from '../../src/lint/gate.js';
import { lintFiles, type LintConfig } from '../../src/lint/lint.js';
import { RULES, type RuleId } from '../../src/lint/rules/index.js';

function file(text: string, kind: SqlFile['kind'] = 'migration'): SqlFile {
  return { kind, version: 7, name: 'change', path: `${kind}s/007_change.sql`, text, checksum: checksumOf(text) };
}

async function rulesFound(text: string, kind: SqlFile['kind'] = 'migration', config: LintConfig = {}): Promise<string[]> {
  const sqlFile = file(text, kind);
  const result = await lintFiles([{ file: sqlFile, analysis: analyzeScript(sqlFile) }], config);
  assert.deepEqual(result.problems, []);
  return result.findings.map((finding) => finding.rule);
}

/** Documented, idempotent boilerplate around the statement under test, so that only the rule in question fires. */
const TABLE = "CREATE TABLE IF NOT EXISTS orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);\nCOMMENT ON TABLE orders IS 'x';\n";

const cases: Array<[RuleId, string, string]> = [
  ['index-not-concurrent', 'CREATE INDEX IF NOT EXISTS ix_o ON orders (note);', '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_o ON orders (note);'],
  ['add-column-not-null', "ALTER TABLE orders ADD COLUMN IF NOT EXISTS state text NOT NULL;\nCOMMENT ON COLUMN orders.state IS 'x';", "ALTER TABLE orders ADD COLUMN IF NOT EXISTS state text NOT NULL DEFAULT 'new';\nCOMMENT ON COLUMN orders.state IS 'x';"],
  ['volatile-default', "ALTER TABLE orders ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();\nCOMMENT ON COLUMN orders.token IS 'x';", "ALTER TABLE orders ADD COLUMN IF NOT EXISTS token uuid;\nCOMMENT ON COLUMN orders.token IS 'x';"],
  ['alter-column-type', 'ALTER TABLE orders ALTER COLUMN note TYPE varchar;', "ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';"],
  ['set-not-null', 'ALTER TABLE orders ALTER COLUMN note SET NOT NULL;', 'ALTER TABLE orders ADD CONSTRAINT ck_note CHECK (note IS NOT NULL) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT ck_note;\nALTER TABLE orders ALTER COLUMN note SET NOT NULL;'],
  ['constraint-not-valid', "ALTER TABLE orders ADD CONSTRAINT ck_len CHECK (length(note) < 100);", "ALTER TABLE orders ADD CONSTRAINT ck_len CHECK (length(note) < 100) NOT VALID;"],
  ['unique-constraint', 'ALTER TABLE orders ADD CONSTRAINT uq_note UNIQUE (note);', 'ALTER TABLE orders ADD CONSTRAINT uq_note UNIQUE USING INDEX ux_note;'],
  ['rename-or-drop', 'ALTER TABLE orders RENAME COLUMN note TO remark;', "COMMENT ON COLUMN orders.note IS 'kept';"],
  ['concurrently-in-transaction', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_o ON orders (note);', '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_o ON orders (note);'],
  ['create-if-not-exists', "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE items IS 'x';", "CREATE TABLE IF NOT EXISTS items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE items IS 'x';"],
  ['drop-if-exists', 'DROP VIEW old_view;', 'DROP VIEW IF EXISTS old_view;'],
  ['foreign-key-index', "CREATE TABLE IF NOT EXISTS lines (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint REFERENCES orders (id));\nCOMMENT ON TABLE lines IS 'x';", "CREATE TABLE IF NOT EXISTS lines (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint REFERENCES orders (id));\nCREATE INDEX IF NOT EXISTS ix_lines_order_id ON lines (order_id);\nCOMMENT ON TABLE lines IS 'x';"],
  ['missing-comment', 'CREATE TABLE IF NOT EXISTS items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);', "CREATE TABLE IF NOT EXISTS items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE items IS 'x';"],
  ['timestamp-without-time-zone', "CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamp);\nCOMMENT ON TABLE ev IS 'x';", "CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz);\nCOMMENT ON TABLE ev IS 'x';"],
  ['serial-or-int-key', "CREATE TABLE IF NOT EXISTS ev (id serial PRIMARY KEY);\nCOMMENT ON TABLE ev IS 'x';", "CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE ev IS 'x';"],
  ['varchar-length', "CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code varchar(20));\nCOMMENT ON TABLE ev IS 'x';", "CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text);\nCOMMENT ON TABLE ev IS 'x';"],
  ['role-or-database-setting', 'ALTER ROLE app SET search_path = app, public;', 'SET LOCAL search_path = app, public;'],
  ['empty-file', '-- nothing here yet\n', 'SELECT 1;'],
];

describe('each rule has a failing and a passing example', () => {
  assert.deepEqual(cases.map(([rule]) => rule).sort(), RULES.map((rule) => rule.id).sort(), 'every rule is covered');
  for (const [rule, failing, passing] of cases) {
    test(rule, async () => {
      // The table is created in another migration: these statements act on an existing table.
      assert.ok((await rulesFound(failing)).includes(rule), `${rule} should fire on:\n${failing}`);
      assert.ok(!(await rulesFound(passing)).includes(rule), `${rule} should not fire on:\n${passing}`);
    });
  }
});

test('role-or-database-setting: every form that sets a default for later connections', async () => {
  for (const text of ["ALTER DATABASE app SET timezone = 'UTC';", "ALTER ROLE app IN DATABASE app SET work_mem = '64MB';", 'ALTER USER app RESET ALL;', 'ALTER ROLE ALL SET lock_timeout TO DEFAULT;']) {
    assert.deepEqual(await rulesFound(text), ['role-or-database-setting'], text);
  }
  assert.deepEqual(await rulesFound("ALTER ROLE app WITH LOGIN;\nALTER DATABASE app RENAME TO app2;"), []);
});

test('the boilerplate itself is clean', async () => {
  assert.deepEqual(await rulesFound(TABLE), []);
});

test('objects created earlier in the same file are exempt from the existing-table rules', async () => {
  const text = `${TABLE}CREATE INDEX IF NOT EXISTS ix_o ON orders (note);\nALTER TABLE orders ADD COLUMN IF NOT EXISTS state text NOT NULL;\nCOMMENT ON COLUMN orders.state IS 'x';\nALTER TABLE orders ALTER COLUMN note TYPE varchar;\nALTER TABLE orders ADD CONSTRAINT ck_len CHECK (length(note) < 100);\n`;
  assert.deepEqual(await rulesFound(text), []);
});

test('rollbacks may drop what their migration made', async () => {
  assert.deepEqual(await rulesFound('DROP TABLE IF EXISTS orders;\nALTER TABLE t DROP COLUMN IF EXISTS c;\n', 'rollback'), []);
});

test('findings name file, line, column, rule and the safe way', async () => {
  const sqlFile = file(`${TABLE}\n  CREATE INDEX IF NOT EXISTS ix_late ON users (email);\n`);
  const [finding] = (await lintFiles([{ file: sqlFile, analysis: analyzeScript(sqlFile) }])).findings;
  assert.deepEqual([finding?.file, finding?.line, finding?.column, finding?.rule], ['migrations/007_change.sql', 4, 3, 'index-not-concurrent']);
  assert.match(finding?.hint ?? '', /SHARE .* lock.*instead: CREATE INDEX CONCURRENTLY/);
});

describe('suppression with -- pgshift:allow', () => {
  const indexed = (comment: string): string => `${comment}\nCREATE INDEX IF NOT EXISTS ix_o ON orders (note);\n`;

  test('with a reason it silences that rule for that statement only', async () => {
    assert.deepEqual(await rulesFound(indexed('-- pgshift:allow index-not-concurrent orders has ten rows')), []);
    const twice = `${indexed('-- pgshift:allow index-not-concurrent orders has ten rows')}CREATE INDEX IF NOT EXISTS ix_p ON orders (id);\n`;
    assert.deepEqual(await rulesFound(twice), ['index-not-concurrent']);
  });

  test('without a reason, or with an unknown rule id, it is an error', async () => {
    for (const [comment, expected] of [
      ['-- pgshift:allow index-not-concurrent', /gives no reason/],
      ['-- pgshift:allow index-not-concurent typo here', /unknown rule "index-not-concurent"/],
    ] as const) {
      const sqlFile = file(indexed(comment));
      const result = await lintFiles([{ file: sqlFile, analysis: analyzeScript(sqlFile) }]);
      assert.equal(result.problems[0]?.code, 'LINT_SUPPRESSION');
      assert.match(result.problems[0]?.message ?? '', expected);
    }
  });
});

test('project configuration turns rules off or into errors', async () => {
  const sqlFile = file('CREATE TABLE IF NOT EXISTS ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code varchar(20));\n');
  const result = await lintFiles([{ file: sqlFile, analysis: analyzeScript(sqlFile) }], { 'missing-comment': 'off', 'varchar-length': 'error' });
  assert.deepEqual(result.findings.map((f) => [f.rule, f.severity]), [['varchar-length', 'error']]);
});

test('a syntax error is reported with its position', async () => {
  const sqlFile = file('SELECT 1;\nCREATE TABEL x (id int);\n');
  const result = await lintFiles([{ file: sqlFile, analysis: analyzeScript(sqlFile) }]);
  assert.equal(result.problems[0]?.code, 'SYNTAX_ERROR');
  assert.match(result.problems[0]?.message ?? '', /^migrations\/007_change\.sql:2:8: syntax error at or near "TABEL"/);
});

test('a file too large for the parser is not linted: an error for lint, a warning before a run', async () => {
  const rows = Array.from({ length: 170_000 }, (_, i) => `(${i}, '${'x'.repeat(90)}')`).join(',\n');
  const big = file(`INSERT INTO bulk VALUES\n${rows};\n`);
  const result = await lintFiles([{ file: big, analysis: analyzeScript(big) }]);
  assert.deepEqual(result.problems.map((p) => p.code), ['LINT_SKIPPED']);
  assert.match(result.problems[0]?.message ?? '', /not linted: 17 MB is more than the lint parser takes/);

  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
  const findings = await lintBeforeRun([{ file: big, analysis: analyzeScript(big) }], { cwd: tmpdir(), logger, strict: true });
  assert.deepEqual(findings, []);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /^lint skipped migrations\/007_change\.sql: .*not linted/);
});
