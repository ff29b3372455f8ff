/**
 * Failures through the CLI: a failing file is rolled back whole and named with its line and column, the
 * ledger cannot be damaged by a migration, and each kind of failure has its documented exit status.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { ledgerVersions, tableExists } from '../support/inspect.js';
import { errorLine, makeProject, type CliResult } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;
const project = await makeProject({ 'migrations/001_base.sql': 'CREATE TABLE base (id int PRIMARY KEY);\nINSERT INTO base VALUES (1);\n' }, db.url);

/** Writes `path`, runs pgshift expecting exit `status`, and removes the file again so the next test starts from the same files. */
async function runWith(path: string, text: string, args: readonly string[], status: number): Promise<Record<string, unknown>> {
  await project.write(path, text);
  try {
    const run = await project.run(args);
    assert.equal(run.status, status, run.stderr);
    // A script the server rejected whole never opened a transaction; rolling back must not log about it.
    assert.doesNotMatch(run.stderr, /no transaction in progress/);
    return errorLine(run.stderr);
  } finally {
    await project.remove(path);
  }
}

/** A migration that must fail in the database (exit 1) and leave base, its row and the ledger as 001 left them. */
async function failingMigration(path: string, text: string): Promise<Record<string, unknown>> {
  const error = await runWith(path, text, ['up'], 1);
  assert.deepEqual(await ledgerVersions(sql), [1], 'no ledger row was written for the failed file');
  const rows = await sql<Array<{ id: number }>>`SELECT id FROM base`;
  assert.deepEqual(rows.map((row) => row.id), [1]);
  return error;
}

/** 001 applied: the first test applies it in its own run; a test run by itself makes sure of it here. */
async function baseApplied(): Promise<void> {
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
}

async function assertAbsent(...tables: string[]): Promise<void> {
  for (const table of tables) assert.equal(await tableExists(sql, table), false, `${table} was rolled back`);
}

test('a file failing at its third statement is rolled back whole and named file:line:col with SQLSTATE 42P01', async () => {
  // 001 runs in the same run before it: it must stay applied with its ledger row and its data.
  const error = await failingMigration(
    'migrations/002_three.sql',
    '-- three statements, the last one broken\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\nSELECT id\n  FROM missing_table;\n',
  );
  assert.equal(error['code'], 'MIGRATION_FAILED');
  assert.equal(error['msg'], 'migrations/002_three.sql:5:8: relation "missing_table" does not exist');
  assert.deepEqual(error['sql'], {
    file: 'migrations/002_three.sql',
    sqlState: '42P01',
    line: 5,
    column: 8,
    snippet: '  FROM missing_table;\n       ^',
  });
  assert.match(String(error['hint']), /rolled back: nothing from this file was applied and no ledger row was written/);
  await assertAbsent('a', 'b');
});

test('a syntax error is named at its line and column, and nothing before it in the file stays', async () => {
  const text = 'CREATE TABLE ok_t (id int);\n  CREATE TABEL nope (id int);\n';
  // Validation's parser finds it first (exit 3); allowed past the parser, the server's report says the same.
  const refused = await runWith('migrations/002_syntax.sql', `-- a typo on line 3\n${text}`, ['up'], 3);
  assert.equal((refused['problems'] as Array<{ message: string }>)[0]?.message, 'migrations/002_syntax.sql:3:10: syntax error at or near "TABEL"');
  const error = await failingMigration('migrations/002_syntax.sql', `-- pgshift:allow parse-error the server is the one to report it here\n${text}`);
  assert.equal(error['msg'], 'migrations/002_syntax.sql:3:10: syntax error at or near "TABEL"');
  assert.deepEqual(error['sql'], {
    file: 'migrations/002_syntax.sql',
    sqlState: '42601',
    line: 3,
    column: 10,
    snippet: '  CREATE TABEL nope (id int);\n         ^',
  });
  await assertAbsent('ok_t');
});

test('an error the server gives no position for is located at its statement, past quoted semicolons', async () => {
  // Semicolons inside the function body and the string must not be taken for statement ends.
  const text = [
    "CREATE FUNCTION twice(n int) RETURNS int LANGUAGE sql AS $$ SELECT 1; SELECT n * 2; $$;",
    'CREATE TABLE rt (n int, label text);',
    "INSERT INTO rt VALUES (twice(1), 'a;b');",
    '',
    '-- the division happens while executing, so the server reports no position',
    '  UPDATE rt SET n = n / 0;',
    '',
  ].join('\n');
  const error = await failingMigration('migrations/002_runtime.sql', text);
  assert.equal(error['msg'], 'migrations/002_runtime.sql:6:3: division by zero');
  assert.deepEqual(error['sql'], {
    file: 'migrations/002_runtime.sql',
    sqlState: '22012',
    line: 6,
    column: 3,
    snippet: '  UPDATE rt SET n = n / 0;\n  ^',
  });
  await assertAbsent('rt');
  const [{ functions }] = await sql<[{ functions: number }]>`SELECT count(*)::int AS functions FROM pg_proc WHERE proname = 'twice'`;
  assert.equal(functions, 0);
});

test('an exception raised in a DO block names the block, with the server hint and context', async () => {
  const error = await failingMigration(
    'migrations/002_raise.sql',
    "CREATE TABLE before_raise (id int);\n\nDO $$\nBEGIN\n  RAISE EXCEPTION 'stop here' USING HINT = 'check the data';\nEND\n$$;\n",
  );
  assert.equal(error['msg'], 'migrations/002_raise.sql:3:1: stop here');
  const failure = error['sql'] as Record<string, unknown>;
  assert.equal(failure['sqlState'], 'P0001');
  assert.equal(failure['serverHint'], 'check the data');
  assert.match(String(failure['where']), /PL\/pgSQL function inline_code_block line 3 at RAISE/);
  await assertAbsent('before_raise');
});

for (const [change, statement] of [
  ['drops', 'DROP TABLE schema_migrations;'],
  ['alters', 'ALTER TABLE schema_migrations RENAME COLUMN checksum TO digest;'],
] as const) {
  test(`a migration that ${change} the ledger fails saying so, rolled back, with the ledger intact`, async () => {
    const error = await failingMigration('migrations/002_ledger.sql', `CREATE TABLE x_t (id int);\n${statement}\n`);
    assert.equal(error['code'], 'LEDGER_TAMPERED');
    assert.match(String(error['msg']), /^migrations\/002_ledger\.sql dropped or altered pgshift's ledger table public\.schema_migrations/);
    assert.match(String(error['hint']), /transaction was rolled back/);
    const columns = await sql<Array<{ name: string }>>`
      SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'schema_migrations' AND column_name = 'checksum'`;
    assert.equal(columns.length, 1);
    await assertAbsent('x_t');
  });
}

test('a failing rollback exits 1, keeps the ledger row and undoes what the rollback did before failing', async () => {
  await baseApplied();
  const error = await runWith('rollbacks/001_base.sql', 'DROP TABLE base;\nSELECT * FROM nowhere;\n', ['down'], 1);
  assert.equal(error['code'], 'ROLLBACK_FAILED');
  assert.equal(error['msg'], 'rollbacks/001_base.sql:2:15: relation "nowhere" does not exist');
  assert.equal((error['sql'] as { sqlState: string }).sqlState, '42P01');
  assert.deepEqual(await ledgerVersions(sql), [1]);
  assert.equal(await tableExists(sql, 'base'), true, 'the DROP TABLE before the failure was rolled back');
});

function assertNoPassword(run: CliResult, password: string): void {
  assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password), `the password shows:\n${run.stdout}${run.stderr}`);
}

test('a refused connection exits 5 and the password appears nowhere, even in trace logs', async () => {
  const url = 'postgres://postgres:s3cret@127.0.0.1:1/x';
  for (const run of [
    await project.run(['up', '--log-level', 'trace', '--database', url]),
    await project.run(['status', '--log-level', 'trace'], { env: { DATABASE_URL: url } }),
  ]) {
    assert.equal(run.status, 5, run.stderr);
    assert.match(String(errorLine(run.stderr)['msg']), /^could not connect to postgres@127\.0\.0\.1:1\/x: connection refused \(ECONNREFUSED\)/);
    assertNoPassword(run, 's3cret');
  }
});

test('an unknown database on a running server exits 5 with a hint to create it', async () => {
  // The server's own credentials (a password on the embedded engine, none under trust auth), another database.
  const url = new URL(db.url);
  url.pathname = '/no_such_database_here';
  const run = await project.run(['status', '--database', url.toString()]);
  assert.equal(run.status, 5, run.stderr);
  const error = errorLine(run.stderr);
  assert.match(String(error['msg']), /database "no_such_database_here" does not exist/);
  assert.match(String(error['hint']), /create the database first/);
  if (url.password !== '') assertNoPassword(run, decodeURIComponent(url.password));
});

test('usage errors exit 2 and say what was wrong, changing nothing', async () => {
  await baseApplied();
  // A rollback that would work: were --steps abc read as the default of one step, base would be dropped.
  await project.write('rollbacks/001_base.sql', 'DROP TABLE base;\n');
  for (const [args, said] of [
    [['frobnicate'], /Unknown command: frobnicate/],
    [['up', '--bogus-flag'], /Unknown argument.*bogus-flag/],
    [['down', '--steps', 'abc'], /--steps abc is not a whole number, 1 or more/],
    [[], /name a command/],
  ] as const) {
    const run = await project.run(args);
    assert.equal(run.status, 2, `pgshift ${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, said);
  }
  assert.deepEqual(await ledgerVersions(sql), [1]);
  assert.equal(await tableExists(sql, 'base'), true);
  // Refused before connecting: against a server that is not there, still exit 2, not 5.
  for (const args of [['down', '--steps', 'abc'], ['up', '--to', '-3']]) {
    const run = await project.run([...args, '--database', 'postgres://postgres@127.0.0.1:1/x']);
    assert.equal(run.status, 2, run.stderr);
  }
});

test('a database URL that is not postgres:// is a usage error (exit 2), without its password', async () => {
  const url = 'mysql://root:s3cret@127.0.0.1:3306/app';
  for (const run of [await project.run(['status', '--database', url]), await project.run(['status'], { env: { DATABASE_URL: url } })]) {
    assert.equal(run.status, 2, run.stderr);
    assert.match(String(errorLine(run.stderr)['msg']), /must be a postgres:\/\/ or postgresql:\/\/ URL/);
    assertNoPassword(run, 's3cret');
  }
});

test('a malformed postgres:// URL is a configuration error (exit 2), without its password', async () => {
  const run = await project.run(['status', '--database', 'postgres://postgres:s3cret@[::1:5432/x']);
  assert.equal(run.status, 2, run.stderr);
  assertNoPassword(run, 's3cret');
});

test('a role that may not read the ledger gets exit 1 naming the ledger and the privileges it needs, not a crash', async () => {
  assert.equal((await project.run(['up'])).status, 0);
  const reader = `pgshift_noledger_${process.pid}`;
  await sql.unsafe(`CREATE ROLE ${reader} LOGIN PASSWORD 'reader-pw'`);
  try {
    const url = new URL(db.url);
    url.username = reader;
    url.password = 'reader-pw';
    const run = await project.run(['status'], { env: { DATABASE_URL: url.toString() } });
    assert.equal(run.status, 1, run.stderr);
    const error = errorLine(run.stderr);
    assert.equal(error['code'], 'DATABASE_ERROR');
    assert.match(String(error['msg']), /refused a statement pgshift sends itself: permission denied for table schema_migrations \(SQLSTATE 42501\)/);
    assert.match(String(error['hint']), /SELECT, INSERT, UPDATE and DELETE on the ledger public\.schema_migrations/);
    assert.doesNotMatch(run.stderr, /unexpected error|\n\s+at |reader-pw/);
  } finally {
    await sql.unsafe(`DROP OWNED BY ${reader}; DROP ROLE IF EXISTS ${reader}`);
  }
});
