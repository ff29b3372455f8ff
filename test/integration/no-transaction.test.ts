/**
 * No-transaction files run statement by statement with their progress recorded: a failure leaves the
 * statements before it recorded, and the next up resumes at the failed one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type postgres from 'postgres';
import { testDatabase } from '../support/database.js';
import { errorLine, makeProject, type Project } from '../support/project.js';

const BASE = {
  'migrations/001_base.sql': `CREATE TABLE items (id int PRIMARY KEY, code text, note text);
CREATE TABLE runs (statement int);
INSERT INTO items SELECT g, 'c' || g, 'n' || g FROM generate_series(1, 100) g;
`,
    // BEGIN ATOMIC bodies hold semicolons that are not statement ends; this file is transactional.
    'migrations/002_atomic.sql': `CREATE FUNCTION item_count() RETURNS bigint LANGUAGE sql
BEGIN ATOMIC
  SELECT 1;
  SELECT count(*) FROM items;
END;
`,
};

const FIVE_STATEMENTS = (third: string): string => `-- Migration: indexes built without blocking writes
-- pgshift:no-transaction
INSERT INTO runs VALUES (1);
CREATE INDEX CONCURRENTLY ix_items_code ON items (code);
${third}
CREATE OR REPLACE FUNCTION touch(n int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO runs VALUES (n);
  RETURN n;
END;
$$;
INSERT INTO runs VALUES (5);
`;

interface Setup {
  readonly project: Project;
  readonly sql: postgres.Sql;
}

/** A database and project of the test's own holding 001-002 and `more`, with `up` run when `applied`. */
async function setUp(applied: boolean, more: Readonly<Record<string, string>> = {}): Promise<Setup> {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ ...BASE, ...more }, db.url);
  if (applied) {
    const run = await project.run(['up']);
    assert.equal(run.status, 0, run.stderr);
  }
  return { project, sql: db.sql };
}

/** ...with 003 stopped at its failing statement 3: statements 1-2 ran and are recorded. */
async function partlyApplied(): Promise<Setup> {
  const setup = await setUp(true);
  await setup.project.write('migrations/003_cic.sql', FIVE_STATEMENTS('CREATE INDEX CONCURRENTLY ix_items_note ON items (no_such_column);'));
  assert.equal((await setup.project.run(['up'])).status, 1);
  return setup;
}

async function runsRecorded(sql: postgres.Sql): Promise<number[]> {
  const rows = await sql<Array<{ statement: number }>>`SELECT statement FROM runs ORDER BY statement`;
  return rows.map((row) => row.statement);
}

test('a transactional file with a BEGIN ATOMIC body applies as one statement', async () => {
  const { project, sql } = await setUp(false);
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  const [{ count }] = await sql<[{ count: string }]>`SELECT item_count() AS count`;
  assert.equal(count, '100');
});

test('a transactional file holding CREATE INDEX CONCURRENTLY is refused before anything runs', async () => {
  const { project, sql } = await setUp(true);
  await project.write('migrations/003_cic.sql', 'CREATE TABLE refused (id int);\nCREATE INDEX CONCURRENTLY ix_refused ON refused (id);\n');
  const run = await project.run(['up']);
  assert.equal(run.status, 3, run.stderr);
  const error = errorLine(run.stderr);
  assert.match(String(error?.['msg']), /migrations\/003_cic\.sql:2:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction/);
  assert.match(String(error?.['hint']), /-- pgshift:no-transaction/);
  const [{ table }] = await sql<[{ table: string | null }]>`SELECT to_regclass('refused')::text AS table`;
  assert.equal(table, null);
});

test('statement 3 of 5 fails: statements 1-2 stay done and recorded, status shows partial (2/5)', async () => {
  const { project, sql } = await setUp(true);
  await project.write('migrations/003_cic.sql', FIVE_STATEMENTS('CREATE INDEX CONCURRENTLY ix_items_note ON items (no_such_column);'));
  const run = await project.run(['up']);
  assert.equal(run.status, 1, run.stderr);
  const error = errorLine(run.stderr);
  assert.match(String(error?.['msg']), /^migrations\/003_cic\.sql:5:\d+: column "no_such_column" does not exist/);
  assert.match(String(error?.['hint']), /statements 1-2 of 5 ran and are recorded .* fix statement 3 and run up again/);
  assert.deepEqual(await runsRecorded(sql), [1]);
  const [index] = await sql`SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('ix_items_code')`;
  assert.equal(index?.['indisvalid'], true);

  const status = await project.run(['status', '--json']);
  const entry = (JSON.parse(status.stdout) as Array<Record<string, unknown>>).find((e) => e['version'] === 3);
  assert.equal(entry?.['state'], 'partial');
  assert.deepEqual(entry?.['progress'], { done: 2, total: 5, error: String(error?.['msg']) });
  const text = await project.run(['status']);
  assert.match(text.stdout, /3\s+cic\s+partial \(2\/5\)/);
  assert.match(text.stdout, /up resumes it at statement 3/);
});

test('editing a statement that already ran is refused with exit 3, naming it', async () => {
  const { project, sql } = await partlyApplied();
  const original = await project.read('migrations/003_cic.sql');
  await project.write('migrations/003_cic.sql', original.replace('INSERT INTO runs VALUES (1);', 'INSERT INTO runs VALUES (10);'));
  const run = await project.run(['up']);
  assert.equal(run.status, 3, run.stderr);
  assert.match(run.stderr, /migrations\/003_cic\.sql:3: statement 1 has already run \(2 of 5 statements are done\) but was edited/);
  await project.write('migrations/003_cic.sql', original);
  assert.deepEqual(await runsRecorded(sql), [1]);
});

test('after fixing statement 3, up resumes there without running statements 1-2 again', async () => {
  const { project, sql } = await partlyApplied();
  await project.write('migrations/003_cic.sql', FIVE_STATEMENTS('CREATE INDEX CONCURRENTLY ix_items_note ON items (note);'));
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /resuming migrations\/003_cic\.sql at statement 3 of 5/);
  assert.deepEqual(await runsRecorded(sql), [1, 5], 'statement 1 ran once, statement 5 once');
  const indexes = await sql`SELECT indexrelid::regclass::text AS name, indisvalid FROM pg_index WHERE indrelid = 'items'::regclass ORDER BY 1`;
  assert.deepEqual(
    indexes.map((row) => [row['name'], row['indisvalid']]),
    [
      ['items_pkey', true],
      ['ix_items_code', true],
      ['ix_items_note', true],
    ],
  );
  const [{ touched }] = await sql<[{ touched: number }]>`SELECT touch(7) AS touched`;
  assert.equal(touched, 7, 'the plpgsql body with its semicolons arrived whole');
  const [ledger] = await sql`SELECT checksum, execution_ms FROM schema_migrations WHERE version = 3`;
  assert.match(String(ledger?.['checksum']), /^[0-9a-f]{64}$/);
  const [{ left }] = await sql<[{ left: number }]>`SELECT count(*)::int AS left FROM schema_migrations_progress`;
  assert.equal(left, 0, 'the finished file moved from the progress table to the ledger');
});

test('a failed CREATE UNIQUE INDEX CONCURRENTLY names its INVALID index, which the retry drops first', async () => {
  const { project, sql } = await setUp(true);
  await sql`UPDATE items SET code = 'same' WHERE id IN (1, 2)`;
  await project.write('migrations/004_unique.sql', '-- pgshift:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY ux_items_code ON items (code);\n');
  const failed = await project.run(['up']);
  assert.equal(failed.status, 1, failed.stderr);
  const error = errorLine(failed.stderr);
  assert.match(String(error?.['hint']), /INVALID index public\.ux_items_code .*pgshift drops before running the statement again/);
  const [before] = await sql`SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('ux_items_code')`;
  assert.equal(before?.['indisvalid'], false);

  await sql`UPDATE items SET code = 'c2' WHERE id = 2`;
  const retried = await project.run(['up']);
  assert.equal(retried.status, 0, retried.stderr);
  assert.match(retried.stderr, /dropping the INVALID index public\.ux_items_code/);
  const [after] = await sql`SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('ux_items_code')`;
  assert.equal(after?.['indisvalid'], true);
});

test('down of a partly applied file runs its rollback and clears its progress', async () => {
  // Migration 4 applied, as the assertion on the newest version expects.
  const { project, sql } = await setUp(true, { 'migrations/004_unique.sql': '-- pgshift:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY ux_items_code ON items (code);\n' });
  await project.write('migrations/005_partial.sql', '-- pgshift:no-transaction\nCREATE TABLE half (id int);\nSELECT 1/0;\n');
  await project.write('rollbacks/005_partial.sql', 'DROP TABLE IF EXISTS half;\n');
  assert.equal((await project.run(['up'])).status, 1);
  const [{ partial }] = await sql<[{ partial: number }]>`SELECT count(*)::int AS partial FROM schema_migrations_progress WHERE version = 5`;
  assert.equal(partial, 1);
  const down = await project.run(['down']);
  assert.equal(down.status, 0, down.stderr);
  assert.match(down.stderr, /reverted rollbacks\/005_partial\.sql/);
  const [state] = await sql`SELECT to_regclass('half') AS half, (SELECT count(*)::int FROM schema_migrations_progress) AS progress,
                                   (SELECT max(version)::int FROM schema_migrations) AS newest`;
  assert.deepEqual([state?.['half'], state?.['progress'], state?.['newest']], [null, 0, 4], 'migration 4 is still applied');
  await project.remove('migrations/005_partial.sql');
  await project.remove('rollbacks/005_partial.sql');
});

test('an unknown directive is refused, so a typo cannot change how a file runs', async () => {
  const { project } = await setUp(true);
  await project.write('migrations/005_typo.sql', '-- pgshift:no-transation\nCREATE TABLE typo (id int);\n');
  const run = await project.run(['up']);
  assert.equal(run.status, 3, run.stderr);
  assert.match(run.stderr, /unknown directive \\"pgshift:no-transation\\"/);
  await project.remove('migrations/005_typo.sql');
});

test('a directive after the first statement is refused in a pending file or one redo would run again, never in an applied one', async () => {
  const db = await testDatabase(import.meta.url);
  const misplaced = 'CREATE TABLE late (id int);\n-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_late ON late (id);\n';
  const project = await makeProject({ 'migrations/001_late.sql': misplaced, 'rollbacks/001_late.sql': 'DROP TABLE late;\n' }, db.url);
  const run = await project.run(['up']);
  assert.equal(run.status, 3, run.stderr);
  const problems = JSON.stringify(errorLine(run.stderr)['problems']);
  assert.match(problems, /"code":"MISPLACED_DIRECTIVE"/);
  assert.match(problems, /migrations\/001_late\.sql:2:4: pgshift:no-transaction comes after the first statement, where directives are not read/);
  assert.equal((await db.sql`SELECT to_regclass('late') IS NULL AS absent`)[0]?.['absent'], true, 'nothing of the file ran');
  // Applied as it was (made by hand and recorded by baseline here): its comment is history, not a problem.
  await project.write('migrations/001_late.sql', misplaced.replace('CONCURRENTLY ', ''));
  await db.sql`CREATE TABLE late (id int)`;
  assert.equal((await project.run(['baseline', '--version', '1'])).status, 0);
  const validate = await project.run(['validate']);
  assert.equal(validate.status, 0, validate.stdout + validate.stderr);
  assert.doesNotMatch(validate.stdout + validate.stderr, /MISPLACED_DIRECTIVE|comes after the first statement/);
  // redo would run it again, without the directive: refused before its rollback runs.
  const redo = await project.run(['redo']);
  assert.equal(redo.status, 3, redo.stderr);
  assert.match(JSON.stringify(errorLine(redo.stderr)['problems']), /001_late\.sql:2:4: pgshift:no-transaction comes after the first statement/);
  assert.equal((await db.sql`SELECT to_regclass('late') IS NOT NULL AS present`)[0]?.['present'], true, 'nothing was reverted');
  assert.deepEqual((await db.sql`SELECT version FROM schema_migrations`).map((row) => Number(row['version'])), [1]);
});
