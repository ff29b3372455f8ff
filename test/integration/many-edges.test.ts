/**
 * What a stranger tried against many-database runs: one database reached under two names, a targets query
 * that tries to write, a schema-qualified ledger shared by tenants, a system schema as a tenant, Ctrl-C while
 * the targets query runs, and the API's own refusals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrateMany, targetsFromQuery } from '../../src/index.js';
import { testDatabase } from '../support/database.js';
import { cleanEnv, finished, makeProject, spawnPgshift } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const catalog = await testDatabase(import.meta.url);
const target = await testDatabase(import.meta.url);
const MIGRATIONS = {
  'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
  'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
  'rollbacks/001_a.sql': 'DROP TABLE a;\n',
  'rollbacks/002_b.sql': 'DROP TABLE b;\n',
};

async function versions(): Promise<number[]> {
  const [{ exists }] = await target.sql<[{ exists: boolean }]>`SELECT to_regclass('public.schema_migrations') IS NOT NULL AS exists`;
  if (!exists) return [];
  return (await target.sql<Array<{ version: string }>>`SELECT version FROM schema_migrations ORDER BY version`).map((row) => Number(row.version));
}

test('one database under two names is migrated, and reverted, once: the second target stops before it reads the ledger', async () => {
  const project = await makeProject(MIGRATIONS, catalog.url);
  const query = `SELECT url AS target, name FROM (VALUES ('${target.url}', 'a'), ('${target.url}', 'b')) v(url, name)`;
  const up = await project.run(['up', '--targets-query', query, '--parallel', '1', '--json']);
  assert.equal(up.status, 6, up.stderr);
  const [first, second] = (JSON.parse(up.stdout) as { targets: Array<{ outcome: string; error?: { code: string; message: string } }> }).targets;
  assert.equal(first?.outcome, 'ok');
  assert.equal(second?.error?.code, 'USAGE');
  assert.match(second?.error?.message ?? '', /the target b is the database .* with the same ledger as the target a: it would be migrated twice/);
  assert.deepEqual(await versions(), [1, 2]);
  const down = await project.run(['down', '--targets-query', query, '--parallel', '1']);
  assert.equal(down.status, 6, down.stderr);
  assert.deepEqual(await versions(), [1], 'one step reverted, not two');
});

test('--targets-query is one read-only statement: a second statement or a write is refused, and nothing is written', async () => {
  await catalog.sql`CREATE TABLE IF NOT EXISTS written (n int)`;
  const project = await makeProject(MIGRATIONS, catalog.url);
  const twice = await project.run(['up', '--targets-query', "SELECT 'tenant_x' AS target; COMMIT; INSERT INTO written VALUES (1)"]);
  assert.equal(twice.status, 2, twice.stderr);
  assert.match(twice.stderr, /--targets-query holds 3 statements/);
  const write = await project.run(['up', '--targets-query', "WITH w AS (INSERT INTO written VALUES (2) RETURNING 'tenant_x' AS target) SELECT target FROM w"]);
  assert.equal(write.status, 2, write.stderr);
  assert.match(write.stderr, /--targets-query failed: cannot execute \w+ in a read-only transaction/);
  assert.equal((await catalog.sql`SELECT n FROM written`).length, 0);
  assert.equal((await catalog.sql`SELECT nspname FROM pg_namespace WHERE nspname = 'tenant_x'`).length, 0, 'no target ran');
});

test('tenant schemas never share one ledger, and a system schema is not a tenant', async () => {
  const project = await makeProject(MIGRATIONS, catalog.url);
  const query = "SELECT unnest(ARRAY['tq_a', 'tq_b']) AS target";
  const shared = await project.run(['up', '--targets-query', query, '--table', 'ops.schema_migrations']);
  assert.equal(shared.status, 2, shared.stderr);
  assert.match(shared.stderr, /--table ops.schema_migrations names a schema, so every tenant schema would share that one ledger/);
  const system = await project.run(['up', '--targets-query', "SELECT 'pg_catalog' AS target"]);
  assert.equal(system.status, 2, system.stderr);
  assert.match(system.stderr, /--targets-query row 1: the schema .{1,2}pg_catalog.{1,2} is a system schema/);
  assert.equal((await catalog.sql`SELECT nspname FROM pg_namespace WHERE nspname IN ('tq_a', 'tq_b', 'ops')`).length, 0);
});

test('Ctrl-C while --targets-query runs cancels it: exit 130, no target started', async () => {
  const project = await makeProject(MIGRATIONS, catalog.url);
  const child = spawnPgshift(['up', '--targets-query', "SELECT 'tenant_slow' AS target FROM pg_sleep(30)"], project.dir, cleanEnv({ DATABASE_URL: catalog.url }));
  const done = finished(child);
  await waitFor(async () => (await catalog.sql`SELECT 1 FROM pg_stat_activity WHERE datname = ${catalog.name} AND wait_event = 'PgSleep'`).length === 1, 'the query running');
  const started = performance.now();
  child.kill('SIGINT');
  const { status, stderr } = await done;
  assert.equal(status, 130, stderr);
  assert.ok(performance.now() - started < 5000, 'the query was cancelled, not waited for');
  assert.equal((await catalog.sql`SELECT nspname FROM pg_namespace WHERE nspname = 'tenant_slow'`).length, 0);
});

test('the API refuses a command migrateMany does not run, and targetsFromQuery needs no options', async () => {
  await assert.rejects(migrateMany([{ name: 'x', database: { url: target.url } }], { command: 'redo' as never }), { code: 'USAGE', message: /migrateMany runs up, down, status, validate, drift, not redo/ });
  const listed = await targetsFromQuery({ url: catalog.url }, "SELECT 'tenant_api' AS target, 'api' AS name");
  assert.deepEqual(listed.map((each) => [each.name, each.schema]), [['api', 'tenant_api']]);
});
