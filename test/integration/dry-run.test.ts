/**
 * --dry-run prints exactly what up and down would send: fed to psql it builds the same schema and ledger as
 * the real run, and printing it changes nothing at all.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type postgres from 'postgres';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { copyOfRepository, makeProject, type Project } from '../support/project.js';

const viaPgshift = await testDatabase(import.meta.url);
const viaPsql = await testDatabase(import.meta.url);

const EXTRA = {
  'migrations/002_orders.sql': `-- Migration: orders
CREATE TABLE IF NOT EXISTS orders (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id text REFERENCES user_sessions (id),
    note       text DEFAULT 'it''s; here'
);
CREATE INDEX IF NOT EXISTS ix_orders_session_id ON orders (session_id);
CREATE FUNCTION order_count() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM orders); END; $$;
COMMENT ON TABLE orders IS 'Orders; one per session';
`,
  'rollbacks/002_orders.sql': 'DROP FUNCTION IF EXISTS order_count();\nDROP TABLE IF EXISTS orders;\n',
  'migrations/003_concurrent.sql': '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_orders_note ON orders (note);\nANALYZE orders;\n',
  'rollbacks/003_concurrent.sql': '-- pgshift:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS ix_orders_note;\n',
};

async function projectFor(url: string): Promise<Project> {
  const project = await copyOfRepository(url);
  for (const [path, text] of Object.entries(EXTRA)) await project.write(path, text);
  return project;
}

// The first two tests share these: the first changes nothing, the second applies everything.
const real = await projectFor(viaPgshift.url);
const dry = await projectFor(viaPsql.url);

interface Pair {
  readonly real: Project;
  readonly dry: Project;
  readonly viaPgshift: TestDatabase;
  readonly viaPsql: TestDatabase;
}

/** Two databases and projects of the test's own, both brought to the same state by `up ...upArgs`. */
async function appliedPair(...upArgs: string[]): Promise<Pair> {
  const pair = { viaPgshift: await testDatabase(import.meta.url), viaPsql: await testDatabase(import.meta.url) };
  const both = { ...pair, real: await projectFor(pair.viaPgshift.url), dry: await projectFor(pair.viaPsql.url) };
  for (const project of [both.real, both.dry]) {
    const run = await project.run(['up', ...upArgs]);
    assert.equal(run.status, 0, run.stderr);
  }
  return both;
}

async function psql(url: string, script: string): Promise<void> {
  const child = promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], { env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } });
  child.child.stdin?.end(script);
  await child;
}

/** Schema and ledger as comparable text: columns, constraints, indexes, functions, comments, ledger rows. */
async function shape(sql: postgres.Sql): Promise<unknown> {
  return sql`
    SELECT (SELECT json_agg(x ORDER BY x) FROM (SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS x
              FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'schema_migrations%') c) AS columns,
           (SELECT json_agg(x ORDER BY x) FROM (SELECT conname || ' ' || pg_get_constraintdef(oid) AS x FROM pg_constraint WHERE connamespace = 'public'::regnamespace) k) AS constraints,
           (SELECT json_agg(x ORDER BY x) FROM (SELECT indexdef AS x FROM pg_indexes WHERE schemaname = 'public') i) AS indexes,
           (SELECT json_agg(x ORDER BY x) FROM (SELECT pg_get_functiondef(oid) AS x FROM pg_proc WHERE pronamespace = 'public'::regnamespace) f) AS functions,
           (SELECT json_agg(x ORDER BY x) FROM (SELECT description AS x FROM pg_description WHERE objoid >= 16384) d) AS comments,
           (SELECT json_agg(json_build_array(version, name, checksum, applied_by) ORDER BY version) FROM schema_migrations) AS ledger`;
}

async function tableCount(sql: postgres.Sql): Promise<number> {
  const [{ count }] = await sql<[{ count: number }]>`SELECT count(*)::int AS count FROM pg_class WHERE relnamespace = 'public'::regnamespace`;
  return count;
}

test('up --dry-run changes nothing, creates no ledger and takes no lock', async () => {
  const run = await dry.run(['up', '--dry-run']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(await tableCount(viaPsql.sql), 0);
  // The printed script takes the migration lock as up does (held twice over): its transactions check that they hold it.
  assert.match(run.stdout, /^SET client_encoding = 'UTF8';\nSELECT pg_advisory_lock\((-?\d+)\), pg_advisory_lock\(\1\);\n\n-- migrations\/000_create_user_sessions\.sql \(version 0\)\nBEGIN;\n/);
  assert.match(run.stdout, /CREATE TABLE "public"\."schema_migrations"/);
  assert.match(run.stdout, /SELECT pg_advisory_unlock\((-?\d+)\), pg_advisory_unlock\(\1\);\n$/);
  assert.match(run.stdout, /INSERT INTO "public"\."schema_migrations" \(version, name, checksum, execution_ms, git_commit\) VALUES \(1, 'add_session_permissions', '[0-9a-f]{64}'/);
  assert.match(run.stdout, /CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_orders_note ON orders \(note\)\n;\n/);
});

test('the dry run fed to psql builds the same schema and ledger as up', async () => {
  const plan = await dry.run(['up', '--dry-run']);
  await psql(viaPsql.url, plan.stdout);
  const run = await real.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(await shape(viaPsql.sql), await shape(viaPgshift.sql));
  const status = await dry.run(['status', '--json']);
  assert.deepEqual(
    (JSON.parse(status.stdout) as Array<{ state: string }>).map((entry) => entry.state),
    ['applied', 'applied', 'applied', 'applied'],
  );
});

test('down --dry-run prints the rollbacks and ledger deletions; through psql it equals down', async () => {
  const { real, dry, viaPgshift, viaPsql } = await appliedPair();
  const before = await shape(viaPsql.sql);
  const plan = await dry.run(['down', '--steps', '2', '--dry-run']);
  assert.equal(plan.status, 0, plan.stderr);
  assert.deepEqual(await shape(viaPsql.sql), before, 'printing the plan changed nothing');
  assert.match(plan.stdout, /\n-- rollbacks\/003_concurrent\.sql \(reverts version 3\)\n/);
  assert.match(plan.stdout, /DELETE FROM "public"\."schema_migrations" WHERE version = 2;/);
  await psql(viaPsql.url, plan.stdout);
  const run = await real.run(['down', '--steps', '2']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(await shape(viaPsql.sql), await shape(viaPgshift.sql));
});

test('a dry run with nothing to do says so in a SQL comment', async () => {
  const { dry } = await appliedPair('--to', '1');
  const run = await dry.run(['down', '--to', '1', '--dry-run']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, '-- pgshift: nothing to revert\n');
});

test('redo --dry-run prints the rollback then the migration again', async () => {
  const { dry } = await appliedPair('--to', '1');
  const run = await dry.run(['redo', '--dry-run']);
  assert.equal(run.status, 0, run.stderr);
  const rollbackAt = run.stdout.indexOf('-- rollbacks/001_add_session_permissions.sql (reverts version 1)');
  const migrationAt = run.stdout.indexOf('-- migrations/001_add_session_permissions.sql (version 1)');
  assert.ok(rollbackAt >= 0 && migrationAt > rollbackAt, run.stdout);
});

test('a line break in a path cannot end the plan\'s comment and run what follows it: the plan applies the files and nothing else', async () => {
  const db = await testDatabase(import.meta.url);
  const folder = 'm\nSELECT 1/0; --';
  const project = await makeProject({ [`${folder}/001_t.sql`]: 'CREATE TABLE IF NOT EXISTS broken_line (id int);\n' }, db.url);
  const plan = await project.run(['up', '--dry-run', '--migrations-dir', folder]);
  assert.equal(plan.status, 0, plan.stderr);
  assert.match(plan.stdout, /^-- m\\nSELECT 1\/0; --\/001_t\.sql \(version 1\)$/m);
  await psql(db.url, plan.stdout);
  const [row] = await db.sql<[{ t: string | null; n: number }]>`SELECT to_regclass('broken_line')::text AS t, (SELECT count(*)::int FROM schema_migrations) AS n`;
  assert.deepEqual(row, { t: 'broken_line', n: 1 });
});
