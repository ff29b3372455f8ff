/**
 * drift compares like with like: the scratch sessions start with the target's database and role settings,
 * the ledger and the live schema are read together under the migration lock, and a history that would
 * touch another database on the server is never replayed beside it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { testDatabase } from '../support/database.js';
import { driftJson } from '../support/drift.js';
import { cleanEnv, errorLine, finished, makeProject, spawnPgshift } from '../support/project.js';
import { waitFor } from '../support/wait.js';

/** Runs a --sql script as psql would, on a session of its own (it holds BEGIN and COMMIT). */
async function runScript(url: string, script: string): Promise<postgres.RowList<postgres.Row[]>[]> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const results = (await sql.unsafe(script)) as unknown as postgres.RowList<postgres.Row[]>[] | postgres.RowList<postgres.Row[]>;
    return Array.isArray(results) && Array.isArray(results[0]) ? (results as postgres.RowList<postgres.Row[]>[]) : [results as postgres.RowList<postgres.Row[]>];
  } finally {
    await sql.end();
  }
}

test("the database's own settings (search_path, TimeZone, DateStyle) hold in the scratch database too: no false drift", async () => {
  const db = await testDatabase(import.meta.url);
  await db.sql.unsafe(`CREATE SCHEMA app; ALTER DATABASE "${db.name}" SET search_path = app, public; ALTER DATABASE "${db.name}" SET TimeZone = 'Asia/Tokyo'; ALTER DATABASE "${db.name}" SET DateStyle = 'SQL, DMY'`);
  const project = await makeProject(
    {
      'migrations/001_schema.sql': 'CREATE SCHEMA IF NOT EXISTS app;\n',
      'migrations/002_events.sql': `CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2024-01-01 09:00', day date DEFAULT '01/02/2024');
CREATE VIEW recent_events AS SELECT id, at FROM events WHERE at > '2024-01-01 00:00';
`,
    },
    db.url,
  );
  assert.equal((await project.run(['up'])).status, 0);
  const [{ schema }] = await db.sql<[{ schema: string }]>`SELECT relnamespace::regnamespace::text AS schema FROM pg_class WHERE relname = 'events'`;
  assert.equal(schema, 'app', 'up put the table where the database setting says');
  const { run, answer } = await driftJson(project);
  assert.deepEqual(answer.differences.map((d) => d.message), []);
  assert.equal(run.status, 0, run.stderr);
  // Still able to see a real change there.
  await db.sql.unsafe(`ALTER TABLE app.events ALTER COLUMN day SET DEFAULT '03/02/2024'`);
  const changed = await driftJson(project);
  assert.deepEqual(changed.answer.differences.map((d) => d.object), ['column app.events.day']);
});

test('a drift started while up applies files waits for the migration lock, then sees every file up applied', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(
    {
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      'migrations/002_slow.sql': 'SELECT pg_sleep(2);\nCREATE TABLE b (id int);\n',
      'migrations/003_c.sql': 'CREATE TABLE c (id int);\n',
    },
    db.url,
  );
  const up = finished(spawnPgshift(['up'], project.dir, cleanEnv({ DATABASE_URL: db.url })));
  await waitFor(async () => (await db.sql`SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'pgshift up: migrations/002\\_slow.sql%'`).length > 0, 'up running 002');
  const { run, answer } = await driftJson(project);
  assert.equal((await up).status, 0);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(answer.replayed, 3);
  assert.deepEqual(answer.differences, []);
  assert.match(run.stderr, /waiting for the migration lock/);
});

test('a history that grants on a database is never replayed on the target server: that database would be changed', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_connect.sql': `CREATE TABLE t (id int);\nREVOKE TEMP ON DATABASE "${db.name}" FROM PUBLIC;\n` }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  await db.sql.unsafe(`GRANT TEMP ON DATABASE "${db.name}" TO PUBLIC`);
  const before = await db.sql`SELECT datacl::text AS acl FROM pg_database WHERE datname = ${db.name}`;
  const run = await project.run(['drift']);
  assert.equal(run.status, 2, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), /migrations\/001_connect\.sql:2 \(REVOKE ON DATABASE\)/);
  assert.deepEqual(await db.sql`SELECT datacl::text AS acl FROM pg_database WHERE datname = ${db.name}`, before);
});

test('a flag given twice is refused before anything runs, without printing either value', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({}, db.url);
  const run = await project.run(['drift', '--scratch-database', 'postgres://a@127.0.0.1:1/x', '--scratch-database', 'postgres://b:Secret-Pw1@127.0.0.1:1/y']);
  assert.equal(run.status, 2, run.stderr);
  assert.match(`${run.stdout}${run.stderr}`, /--scratch-database is given more than once/);
  assert.doesNotMatch(`${run.stdout}${run.stderr}`, /Secret-Pw1/);
});

test('a history that grants on its own database replays on --scratch embedded, whose database takes the target\'s name', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_connect.sql': `CREATE TABLE t (id int);\nREVOKE TEMP ON DATABASE "${db.name}" FROM PUBLIC;\n` }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  const { run, answer } = await driftJson(project, ['--scratch', 'embedded']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(answer.scratch, 'embedded');
  assert.deepEqual(answer.differences, []);
});

test('a newline in a name made by hand stays inside its line: --sql cannot be made to run a statement of the name\'s choosing', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE t (id int);\n' }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  await db.sql.unsafe('CREATE INDEX "x\nSELECT 42 AS injected; --" ON t (id)');
  for (const args of [['drift'], ['drift', '--sql']]) {
    const run = await project.run(args);
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stdout, /^(  |-- )index public\."x\\nSELECT 42 AS injected; --": in the database, not in the migrations$/m);
  }
  const script = await project.run(['drift', '--sql']);
  const results = await runScript(db.url, script.stdout);
  assert.ok(results.every((rows) => !rows.columns?.some((column) => column.name === 'injected')), 'no statement of the name ran');
  assert.equal((await driftJson(project)).run.status, 0, 'the repair dropped the index');
});

test('defaults print in ISO dates and UTC whatever the database says, so --sql puts back the same instant', async () => {
  const db = await testDatabase(import.meta.url);
  await db.sql.unsafe(`ALTER DATABASE "${db.name}" SET DateStyle = 'SQL, DMY'; ALTER DATABASE "${db.name}" SET TimeZone = 'Asia/Kolkata'`);
  const project = await makeProject({ 'migrations/001_t.sql': "CREATE TABLE t (at timestamptz DEFAULT '01/03/2024 12:00');\n" }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  await db.sql.unsafe(`ALTER TABLE t ALTER COLUMN at SET DEFAULT '2025-01-01 00:00+00'`);
  const { answer } = await driftJson(project);
  assert.deepEqual(answer.differences.map((d) => d.sql), ["ALTER TABLE public.t ALTER COLUMN at SET DEFAULT '2024-03-01 06:30:00+00'::timestamp with time zone;"]);
  const script = await project.run(['drift', '--sql']);
  await runScript(db.url, script.stdout);
  const after = await driftJson(project);
  assert.equal(after.run.status, 0, after.run.stderr);
});

test('--schema naming a schema the target does not have: nothing made, nothing to compare, a warning', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE t (id int);\n' }, db.url);
  const { run, answer } = await driftJson(project, ['--schema', 'nosuch']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(answer.differences, []);
  assert.match(run.stderr, /there is no ledger nosuch\.schema_migrations in this database/);
});
