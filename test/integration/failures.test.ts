/** Failures name the file, line and column, roll back everything of the file, and map to SPEC's exit statuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { logLines, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;
const project = await makeProject({ 'migrations/001_base.sql': 'CREATE TABLE base (id int PRIMARY KEY);\n' }, db.url);

function errorOf(stderr: string): Record<string, unknown> {
  const error = logLines(stderr).find((line) => line['level'] === 50);
  assert.ok(error, stderr);
  return error;
}

async function exists(name: string): Promise<boolean> {
  const [{ found }] = await sql<[{ found: boolean }]>`SELECT to_regclass(${name}) IS NOT NULL AS found`;
  return found;
}

async function versions(): Promise<number[]> {
  const rows = await sql<Array<{ version: number }>>`SELECT version::int AS version FROM schema_migrations ORDER BY version`;
  return rows.map((row) => row.version);
}

test('a file failing at its third statement leaves no object and no ledger row, and names file:line:col', async () => {
  await project.write('migrations/002_three.sql', '-- three statements\nCREATE TABLE first_t (id int);\nCREATE TABLE second_t (id int);\nSELECT id\n  FROM missing_table;\n');
  const run = await project.run(['up']);
  assert.equal(run.status, 1, run.stderr);
  const error = errorOf(run.stderr);
  assert.equal(error['msg'], 'migrations/002_three.sql:5:8: relation "missing_table" does not exist');
  assert.deepEqual(error['sql'], {
    file: 'migrations/002_three.sql',
    sqlState: '42P01',
    line: 5,
    column: 8,
    snippet: '  FROM missing_table;\n       ^',
  });
  assert.equal(await exists('first_t'), false);
  assert.equal(await exists('second_t'), false);
  assert.deepEqual(await versions(), [1], 'the file before it in the same run stays applied');
  await project.remove('migrations/002_three.sql');
});

test('a syntax error carries the offending line with a caret and the hint', async () => {
  await project.write('migrations/002_syntax.sql', 'CREATE TABLE ok_t (id int);\nCREATE TABEL nope (id int);\n');
  const run = await project.run(['up']);
  const error = errorOf(run.stderr);
  assert.equal(error['msg'], 'migrations/002_syntax.sql:2:8: syntax error at or near "TABEL"');
  assert.equal((error['sql'] as { snippet: string }).snippet, 'CREATE TABEL nope (id int);\n       ^');
  assert.match(String(error['hint']), /nothing from this file was applied and no ledger row was written/);
  await project.remove('migrations/002_syntax.sql');
});

test('an error with no position (raised while executing) is located by statement', async () => {
  await project.write('migrations/002_runtime.sql', 'CREATE TABLE rt (n int);\nINSERT INTO rt VALUES (1);\n\nUPDATE rt SET n = n / 0;\n');
  const run = await project.run(['up']);
  assert.equal(run.status, 1);
  const error = errorOf(run.stderr);
  assert.equal(error['msg'], 'migrations/002_runtime.sql:4:1: division by zero');
  assert.equal((error['sql'] as { sqlState: string }).sqlState, '22012');
  assert.equal(await exists('rt'), false);
  await project.remove('migrations/002_runtime.sql');
});

test('a DO block that raises is reported with its CONTEXT and line', async () => {
  await project.write('migrations/002_raise.sql', "SELECT 1;\nDO $$\nBEGIN\n  RAISE EXCEPTION 'stop here' USING HINT = 'check the data';\nEND\n$$;\n");
  const run = await project.run(['up']);
  const error = errorOf(run.stderr);
  assert.equal(error['msg'], 'migrations/002_raise.sql:2:1: stop here');
  assert.equal((error['sql'] as { serverHint: string }).serverHint, 'check the data');
  assert.match(String((error['sql'] as { where: string }).where), /PL\/pgSQL function inline_code_block line 3 at RAISE/);
  await project.remove('migrations/002_raise.sql');
});

test('a migration that drops the ledger fails saying so, and the ledger is intact', async () => {
  await project.write('migrations/002_drop_ledger.sql', 'CREATE TABLE x_t (id int);\nDROP TABLE schema_migrations;\n');
  const run = await project.run(['up']);
  assert.equal(run.status, 1);
  const error = errorOf(run.stderr);
  assert.equal(error['code'], 'LEDGER_TAMPERED');
  assert.match(String(error['msg']), /migrations\/002_drop_ledger\.sql dropped or altered pgshift's ledger table public\.schema_migrations/);
  assert.deepEqual(await versions(), [1]);
  assert.equal(await exists('x_t'), false);
  await project.remove('migrations/002_drop_ledger.sql');
});

test('a failing rollback exits 1 and keeps the ledger row', async () => {
  await project.write('rollbacks/001_base.sql', 'DROP TABLE base;\nSELECT * FROM nowhere;\n');
  const run = await project.run(['down']);
  assert.equal(run.status, 1);
  const error = errorOf(run.stderr);
  assert.equal(error['code'], 'ROLLBACK_FAILED');
  assert.equal(error['msg'], 'rollbacks/001_base.sql:2:15: relation "nowhere" does not exist');
  assert.deepEqual(await versions(), [1]);
  assert.equal(await exists('base'), true);
  await project.remove('rollbacks/001_base.sql');
});

test('a refused connection exits 5 and never shows the password', async () => {
  const run = await project.run(['status', '--database', 'postgres://postgres:s3cret-pw@127.0.0.1:1/x']);
  assert.equal(run.status, 5);
  assert.match(String(errorOf(run.stderr)['msg']), /could not connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/x: ECONNREFUSED/);
  assert.ok(!`${run.stdout}${run.stderr}`.includes('s3cret-pw'));
});

test('an unknown database exits 5 with a hint', async () => {
  const url = new URL(db.url);
  url.pathname = '/no_such_database_here';
  const run = await project.run(['status', '--database', url.toString()]);
  assert.equal(run.status, 5);
  assert.match(String(errorOf(run.stderr)['hint']), /create the database first/);
});

test('usage errors exit 2', async () => {
  for (const args of [['frobnicate'], ['up', '--no-such-flag'], ['down', '--steps', '0'], ['status', '--database', 'mysql://x'], []]) {
    const run = await project.run(args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
  }
});
