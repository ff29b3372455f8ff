/**
 * A migration or rollback that writes pgshift's ledger or its progress table, by whatever route, fails with
 * LEDGER_CHANGED (exit 1) and its transaction rolled back: the ledger stays as it was.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type postgres from 'postgres';
import { testDatabase } from '../support/database.js';
import { tableExists } from '../support/inspect.js';
import { errorLine, makeProject, type Project } from '../support/project.js';

const BASE = {
  'migrations/001_base.sql': 'CREATE TABLE base (id int);\n',
  // Leaves the progress table in place (empty), so that writes to it can be tried too.
  'migrations/002_index.sql': '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_base ON base (id);\n',
  'rollbacks/002_index.sql': 'DROP INDEX IF EXISTS ix_base;\n',
};

interface Applied {
  readonly project: Project;
  readonly sql: postgres.Sql;
}

/** A database and project of their own, holding the base files and `more`. */
async function prepared(more: Readonly<Record<string, string>> = {}): Promise<Applied> {
  const db = await testDatabase(import.meta.url);
  return { project: await makeProject({ ...BASE, ...more }, db.url), sql: db.sql };
}

async function up(project: Project): Promise<void> {
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
}

/** ...with all of them applied. */
async function applied(more: Readonly<Record<string, string>> = {}): Promise<Applied> {
  const fresh = await prepared(more);
  await up(fresh.project);
  return fresh;
}

type LedgerRow = { version: string; checksum: string; execution_ms: number };
const ledger = (sql: postgres.Sql): Promise<LedgerRow[]> => sql<LedgerRow[]>`SELECT version, checksum, execution_ms FROM schema_migrations ORDER BY version`;

// Each of these leaves the ledger and the schema as they were, so they share one project. Its database
// is made here, not in the hook: a database made in a hook is dropped when the hook ends.
const routes = await prepared();
before(() => up(routes.project));

const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['DELETE', 'DELETE FROM schema_migrations WHERE version = 1;'],
  ['UPDATE, quoted and qualified', `UPDATE "public"."schema_migrations" SET checksum = repeat('0', 64);`],
  ['TRUNCATE', 'TRUNCATE schema_migrations;'],
  ['EXECUTE format(...)', "DO $$ BEGIN EXECUTE format('DELETE FROM %I.%I', 'public', 'schema_' || 'migrations'); END $$;"],
  ['an INSERT into the progress table', "INSERT INTO schema_migrations_progress (version, name, checksum, statement_count) VALUES (99, 'x', 'y', 1);"],
  ['a DELETE that a savepoint does not undo', 'SAVEPOINT s;\nDELETE FROM schema_migrations;\nRELEASE SAVEPOINT s;'],
  // RESET ALL clears the setting the check reads first, so the change is found through pg_locks.
  ['a DELETE after RESET ALL', 'RESET ALL;\nDELETE FROM schema_migrations WHERE version = 1;'],
];

for (const [route, statement] of ROUTES) {
  test(`a migration that writes the ledger (${route}) fails, rolled back, with exit 1`, async () => {
    const { project, sql } = routes;
    const before = await ledger(sql);
    await project.write('migrations/003_rewrite.sql', `CREATE TABLE rewritten (id int);\n${statement}\n`);
    const run = await project.run(['up']);
    assert.equal(run.status, 1, run.stderr);
    const error = errorLine(run.stderr);
    assert.equal(error['code'], 'LEDGER_CHANGED');
    assert.match(String(error['msg']), /^migrations\/003_rewrite\.sql changed the rows of pgshift's ledger table public\.schema_migrations or of public\.schema_migrations_progress$/);
    assert.match(String(error['hint']), /rolled back/);
    assert.deepEqual(await ledger(sql), before, 'the ledger is as it was');
    assert.equal(await tableExists(sql, 'rewritten'), false, "the file's own work was rolled back too");
    const [{ progress }] = await sql<[{ progress: number }]>`SELECT count(*)::int AS progress FROM schema_migrations_progress`;
    assert.equal(progress, 0);
  });
}

test('--single-transaction: a file that deletes the row of a file applied earlier in the same transaction is caught', async () => {
  const { project, sql } = await applied();
  await project.write('migrations/003_rewrite.sql', 'CREATE TABLE first_of_two (id int);\n');
  await project.write('migrations/004_rewrite.sql', 'DELETE FROM schema_migrations WHERE version = 3;\n');
  const run = await project.run(['up', '--single-transaction']);
  assert.equal(run.status, 1, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), /^migrations\/004_rewrite\.sql changed the rows/);
  assert.deepEqual((await ledger(sql)).map((row) => row.version), ['1', '2']);
  });

test('--single-transaction from an empty database: a file that truncates the ledger made in that same transaction is caught', async () => {
  // TRUNCATE of a table made in the same transaction empties it in place (no new relfilenode): the row counts catch it.
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_first.sql': 'CREATE TABLE first_one (id int);\n', 'migrations/002_truncate.sql': 'TRUNCATE schema_migrations;\n' }, db.url);
  const run = await project.run(['up', '--single-transaction']);
  assert.equal(run.status, 1, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), /^migrations\/002_truncate\.sql changed the rows/);
  assert.equal(await tableExists(db.sql, 'schema_migrations'), false, 'nothing of the transaction is left, the ledger included');
});

test('with track_counts off (the server counts no rows) the rows themselves are compared: writes are still caught', async () => {
  const { project, sql } = await applied();
  const [{ name }] = await sql<[{ name: string }]>`SELECT current_database() AS name`;
  await sql.unsafe(`ALTER DATABASE "${name}" SET track_counts = off`);
  for (const statement of ['DELETE FROM schema_migrations WHERE version = 1;', "UPDATE schema_migrations SET name = name || '';"]) {
    await project.write('migrations/003_rewrite.sql', `${statement}\n`);
    const run = await project.run(['up']);
    assert.equal(run.status, 1, run.stderr);
    assert.equal(errorLine(run.stderr)['code'], 'LEDGER_CHANGED');
  }
  await project.write('migrations/003_rewrite.sql', 'CREATE TABLE harmless (id int);\n');
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual((await ledger(sql)).map((row) => row.version), ['1', '2', '3']);
});

test('a rollback that writes the ledger fails too, and the migration stays applied', async () => {
  const { project, sql } = await applied();
  await project.write('migrations/003_rewrite.sql', 'CREATE TABLE first_of_two (id int);\n');
  assert.equal((await project.run(['up'])).status, 0);
  await project.write('rollbacks/003_rewrite.sql', 'DROP TABLE IF EXISTS first_of_two;\nDELETE FROM schema_migrations WHERE version = 1;\n');
  const run = await project.run(['down']);
  assert.equal(run.status, 1, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), /^rollbacks\/003_rewrite\.sql changed the rows/);
  assert.deepEqual((await ledger(sql)).map((row) => row.version), ['1', '2', '3']);
  assert.equal(await tableExists(sql, 'first_of_two'), true);
});

test('reading the ledger, resetting the session or discarding temporary tables is not a change', async () => {
  const { project, sql } = await applied({ 'migrations/003_rewrite.sql': 'CREATE TABLE first_of_two (id int);\n' });
  await project.write(
    'migrations/004_reader.sql',
    'CREATE TABLE IF NOT EXISTS seen AS SELECT count(*) AS n FROM schema_migrations;\nRESET ALL;\nDISCARD TEMP;\n',
  );
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual((await ledger(sql)).map((row) => row.version), ['1', '2', '3', '4']);
});

test('a statement of a no-transaction file that writes the ledger fails, its own transaction rolled back; fixed, up resumes', async () => {
  const { project, sql } = await applied({
    'migrations/003_rewrite.sql': 'CREATE TABLE first_of_two (id int);\n',
    'migrations/004_reader.sql': 'SELECT count(*) FROM schema_migrations;\n',
  });
  await project.write('migrations/005_rewrite.sql', '-- pgshift:no-transaction\nCREATE TABLE IF NOT EXISTS nt (id int);\nDELETE FROM schema_migrations WHERE version = 1;\n');
  const run = await project.run(['up']);
  assert.equal(run.status, 1, run.stderr);
  assert.equal(errorLine(run.stderr)['code'], 'LEDGER_CHANGED');
  assert.deepEqual((await ledger(sql)).map((row) => row.version), ['1', '2', '3', '4']);
  await project.write('migrations/005_rewrite.sql', '-- pgshift:no-transaction\nCREATE TABLE IF NOT EXISTS nt (id int);\nSELECT count(*) FROM schema_migrations;\n');
  const fixed = await project.run(['up']);
  assert.equal(fixed.status, 0, fixed.stderr);
  assert.match(fixed.stderr, /resuming migrations\/005_rewrite\.sql at statement 2 of 2/);
  assert.deepEqual((await ledger(sql)).map((row) => row.version), ['1', '2', '3', '4', '5']);
});

test('the LEDGER_CHANGED hint for statement 3 of a no-transaction file says statements 1-2 are applied and recorded, and where up resumes', async () => {
  const { project, sql } = await applied();
  const text = (third: string): string => `-- pgshift:no-transaction\nCREATE TABLE IF NOT EXISTS nt1 (id int);\nCREATE TABLE IF NOT EXISTS nt2 (id int);\n${third}\n`;
  await project.write('migrations/006_third.sql', text('DELETE FROM schema_migrations WHERE version = 1;'));
  const run = await project.run(['up']);
  assert.equal(run.status, 1, run.stderr);
  const error = errorLine(run.stderr);
  assert.equal(error['code'], 'LEDGER_CHANGED');
  assert.equal(
    error['hint'],
    'only pgshift may write its ledger rows, as it applies and reverts files: the transaction that changed them was rolled back: statements 1-2 of 3 ran and are recorded (status shows the file as partial (2/3)); statement 3 is not applied, and up resumes migrations/006_third.sql there. Take the statements that write those tables out of the file and run the command again',
  );
  const status = await project.run(['status', '--json']);
  const states = (JSON.parse(status.stdout) as Array<{ version: number; state: string }>).map((entry) => [entry.version, entry.state]);
  assert.deepEqual(states.at(-1), [6, 'partial']);
  assert.equal(await tableExists(sql, 'nt2'), true);
  await project.write('migrations/006_third.sql', text('SELECT 1;'));
  const fixed = await project.run(['up']);
  assert.equal(fixed.status, 0, fixed.stderr);
  assert.match(fixed.stderr, /resuming migrations\/006_third\.sql at statement 3 of 3/);
});
