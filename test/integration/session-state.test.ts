/**
 * Every file starts in the session state the connection opened with: what one file does to its session
 * (SET, set_config, roles, temporary tables, prepared statements, LISTEN) never reaches the next. So the
 * same files give the same schema and ledger in one run, one file per run, with --single-transaction and
 * through psql running the dry run. Each setter file below is followed by a probe file that records what
 * it found.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { serverUrl, testDatabase, type TestDatabase } from '../support/database.js';
import { PGSHIFT_VERSION } from '../../src/version.js';
import { createMigrator } from '../../src/index.js';
import { errorLine, makeProject } from '../support/project.js';

const OWNER = `pgshift_state_owner_${process.pid}`;
const AUTHOR = `pgshift_state_author_${process.pid}`;

const MECHANISMS: ReadonlyArray<readonly [string, string, string]> = [
  ['search_path', 'CREATE SCHEMA IF NOT EXISTS other;\nSET search_path = other;\n', 'CREATE TABLE IF NOT EXISTS leak_t (id int);\n'],
  ['set_config_pg_temp', "SELECT set_config('search_path', 'pg_temp', false);\n", 'CREATE TABLE IF NOT EXISTS vanish_t (id int);\n'],
  // Long enough for the statements after the file (a busy machine can pause one for milliseconds); a probe
  // that inherited it would be cancelled.
  ['statement_timeout', "SET statement_timeout = '250ms';\n", "SELECT pg_sleep(0.4);\nCREATE TABLE IF NOT EXISTS saw_timeout AS SELECT current_setting('statement_timeout') AS value;\n"],
  ['set_role', `SET ROLE ${OWNER};\n`, 'CREATE TABLE IF NOT EXISTS owned_t (id int);\n'],
  ['session_authorization', `SET SESSION AUTHORIZATION ${AUTHOR};\n`, 'CREATE TABLE IF NOT EXISTS authored_t (id int);\n'],
  ['temp_table', 'CREATE TEMP TABLE scratch (id int);\n', "CREATE TABLE IF NOT EXISTS saw_temp AS SELECT to_regclass('pg_temp.scratch') IS NOT NULL AS value;\n"],
  ['prepare', 'PREPARE leak_p AS SELECT 1;\n', 'PREPARE leak_p AS SELECT 2;\nCREATE TABLE IF NOT EXISTS saw_prepared AS SELECT count(*)::int AS value FROM pg_prepared_statements;\n'],
  ['listen', 'LISTEN leak_channel;\n', 'CREATE TABLE IF NOT EXISTS saw_listen AS SELECT count(*)::int AS value FROM pg_listening_channels();\n'],
  ['replication_role', 'SET session_replication_role = replica;\n', "CREATE TABLE IF NOT EXISTS saw_replica AS SELECT current_setting('session_replication_role') AS value;\n"],
  ['timezone', "SET TimeZone = 'Pacific/Kiritimati';\n", "CREATE TABLE IF NOT EXISTS saw_zone AS SELECT current_setting('TimeZone') AS value;\n"],
];

/** migrations/001_set_search_path.sql, 002_probe_search_path.sql, ... */
const FILES: Record<string, string> = Object.fromEntries(
  MECHANISMS.flatMap(([name, setter, probe], index) => [
    [`migrations/${String(2 * index + 1).padStart(3, '0')}_set_${name}.sql`, setter],
    [`migrations/${String(2 * index + 2).padStart(3, '0')}_probe_${name}.sql`, probe],
  ]),
);
const LAST = 2 * MECHANISMS.length;

const admin = postgres(serverUrl(), { max: 1, onnotice: () => undefined });
for (const role of [OWNER, AUTHOR]) await admin.unsafe(`DO $$ BEGIN CREATE ROLE ${role}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);

async function preparedDatabase(): Promise<TestDatabase> {
  const db = await testDatabase(import.meta.url);
  await db.sql.unsafe(`GRANT CREATE ON SCHEMA public TO ${OWNER}, ${AUTHOR}`);
  return db;
}

const oneRun = await preparedDatabase();
const fileByFile = await preparedDatabase();
const single = await preparedDatabase();
const viaPsql = await preparedDatabase();
// Registered after the databases' own cleanup, so it runs once the objects the roles own are gone.
after(async () => {
  for (const role of [OWNER, AUTHOR]) await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
  await admin.end({ timeout: 5 });
});

/** Every table outside the catalogs with its schema, owner and persistence; the probes' findings; the ledger. */
async function shape(sql: postgres.Sql): Promise<unknown> {
  const [row] = await sql.unsafe(`
    SELECT (SELECT json_agg(x ORDER BY x) FROM (
              SELECT n.nspname || '.' || c.relname || ' ' || c.relpersistence::text || ' ' || pg_get_userbyid(c.relowner) AS x
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%') t) AS tables,
           (SELECT json_build_object(
              'timeout', (SELECT value FROM saw_timeout), 'temp', (SELECT value FROM saw_temp), 'prepared', (SELECT value FROM saw_prepared),
              'listen', (SELECT value FROM saw_listen), 'replica', (SELECT value FROM saw_replica), 'zone', (SELECT value FROM saw_zone))) AS probes,
           (SELECT json_agg(json_build_array(version, name, checksum, applied_by) ORDER BY version) FROM schema_migrations) AS ledger`);
  return row;
}

async function up(db: TestDatabase, args: readonly string[]): Promise<void> {
  const project = await makeProject(FILES, db.url);
  const run = await project.run(['up', ...args]);
  assert.equal(run.status, 0, run.stderr);
}

test('one run, one file per run, --single-transaction and the dry run through psql give the same schema and ledger', async () => {
  await up(oneRun, []);
  await up(single, ['--single-transaction']);
  // One file per run, each run a session of its own: through the API, which the CLI is a thin layer over,
  // as twenty CLI processes would spend most of their time starting Node.
  const project = await makeProject(FILES, fileByFile.url);
  const migrator = createMigrator({ cwd: project.dir, database: { url: fileByFile.url } });
  for (let version = 1; version <= LAST; version++) await migrator.up({ to: version });
  const dry = await (await makeProject(FILES, viaPsql.url)).run(['up', '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  const psql = promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', viaPsql.url, '-f', '-'], {
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
  });
  psql.child.stdin?.end(dry.stdout);
  await psql;

  const expected = await shape(oneRun.sql);
  assert.deepEqual(await shape(fileByFile.sql), expected, 'one file per run');
  assert.deepEqual(await shape(single.sql), expected, '--single-transaction');
  assert.deepEqual(await shape(viaPsql.sql), expected, 'the dry run through psql');
});

test('each probe found the connection’s own state, and every ledger row was written by the connection’s own role', async () => {
  const applied = await preparedDatabase();
  await up(applied, []);
  const [{ login, zone }] = await applied.sql<[{ login: string; zone: string }]>`SELECT current_user AS login, current_setting('TimeZone') AS zone`;
  const state = (await shape(applied.sql)) as { tables: string[]; probes: Record<string, unknown>; ledger: Array<[number, string, string, string]> };
  const tables = state.tables.filter((table) => !table.startsWith('public.saw_') && !table.startsWith('public.schema_migrations'));
  assert.deepEqual(tables, [`public.authored_t p ${login}`, `public.leak_t p ${login}`, `public.owned_t p ${login}`, `public.vanish_t p ${login}`]);
  assert.deepEqual(state.probes, { timeout: '0', temp: false, prepared: 1, listen: 0, replica: 'origin', zone });
  assert.equal(state.ledger.length, LAST);
  assert.deepEqual(new Set(state.ledger.map((row) => row[3])), new Set([login]), 'applied_by is the login role, whatever SET ROLE a file ran');
});

test('a session-level SET in a no-transaction file is refused with exit 3 and file:line, nothing run', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(
    { 'migrations/001_index.sql': '-- pgshift:no-transaction\nCREATE TABLE IF NOT EXISTS t (id int);\nSET search_path = other;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t ON t (id);\n' },
    db.url,
  );
  for (const command of ['validate', 'up']) {
    const run = await project.run([command]);
    assert.equal(run.status, 3, run.stderr);
    const text = command === 'validate' ? run.stdout + run.stderr : String(errorLine(run.stderr)['msg']);
    assert.match(text, /migrations\/001_index\.sql:3:1: SET search_path changes the session/);
    assert.match(run.stderr + run.stdout, /pgshift:statement-timeout/);
  }
  const [{ table }] = await db.sql<[{ table: string | null }]>`SELECT to_regclass('t')::text AS table`;
  assert.equal(table, null);
  await project.write('migrations/001_index.sql', "-- pgshift:no-transaction\nCREATE TABLE IF NOT EXISTS t (id int);\nSET LOCAL lock_timeout = '1s';\n");
  assert.equal((await project.run(['up'])).status, 0);
});

test("--schema's search_path and the provenance settings are startup parameters: the reset after each file keeps them", async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(
    {
      'migrations/001_elsewhere.sql': "SET search_path = public;\nSELECT set_config('pgshift.version', 'forged', false);\n",
      'migrations/002_here.sql': 'CREATE TABLE IF NOT EXISTS in_schema (id int);\n',
    },
    db.url,
  );
  const run = await project.run(['up', '--schema', 'app']);
  assert.equal(run.status, 0, run.stderr);
  const [{ table }] = await db.sql<[{ table: string | null }]>`SELECT to_regclass('app.in_schema')::text AS table`;
  assert.equal(table, 'app.in_schema');
  const rows = await db.sql<Array<{ version: string; pgshift_version: string }>>`SELECT version, pgshift_version FROM app.schema_migrations ORDER BY version`;
  assert.equal(rows.length, 2);
  assert.ok(rows.every((row) => row.pgshift_version !== 'forged' && row.pgshift_version !== null), JSON.stringify(rows));
});

test('with --schema, the dry runs of up and down through a bare psql give the schema and ledger a real run gives: the printed scripts state the settings themselves', async () => {
  const files = {
    'migrations/001_a.sql': 'CREATE TABLE schema_a (id int);\n',
    'migrations/002_b.sql': "SET search_path = public;\nCREATE TABLE schema_b (id int);\n",
    'migrations/003_c.sql': '-- pgshift:no-transaction\nCREATE TABLE schema_c (id int);\nCREATE INDEX CONCURRENTLY schema_c_id ON schema_c (id);\n',
    'rollbacks/003_c.sql': '-- pgshift:no-transaction\nDROP INDEX CONCURRENTLY schema_c_id;\nDROP TABLE schema_c;\n',
    'rollbacks/002_b.sql': 'DROP TABLE public.schema_b;\n',
  };
  const [direct, printed] = [await testDatabase(import.meta.url), await testDatabase(import.meta.url)];
  const directProject = await makeProject(files, direct.url);
  const printedProject = await makeProject(files, printed.url);
  const psql = async (script: string): Promise<void> => {
    const child = promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', printed.url, '-f', '-'], {
      env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
    });
    child.child.stdin?.end(script);
    await child;
  };
  const shapeOf = async (sql: postgres.Sql): Promise<unknown> =>
    sql.unsafe(`SELECT (SELECT json_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.relkind IN ('r', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')) AS relations,
                       (SELECT json_agg(json_build_array(version, name, checksum, pgshift_version) ORDER BY version) FROM app.schema_migrations) AS ledger`);
  for (const args of [['up'], ['down', '--to', '1']]) {
    const run = await directProject.run([...args, '--schema', 'app']);
    assert.equal(run.status, 0, run.stderr);
    const dry = await printedProject.run([...args, '--dry-run', '--schema', 'app']);
    assert.equal(dry.status, 0, dry.stderr);
    await psql(dry.stdout);
    const expected = await shapeOf(direct.sql);
    assert.deepEqual(await shapeOf(printed.sql), expected, args.join(' '));
    const relations = args[0] === 'up' ? /"app\.schema_a","app\.schema_c","app\.schema_c_id".*"public\.schema_b"/ : /"relations":\["app\.schema_a","app\.schema_migrations"/;
    assert.match(JSON.stringify(expected), relations);
    assert.match(JSON.stringify(expected), new RegExp(`"${PGSHIFT_VERSION.replace(/\./g, '\\.')}"`), 'the rows record the version');
  }
});

test('with --schema and a ledger in another schema, the printed plan makes --schema\'s schema as the run does; a refused up makes nothing', async () => {
  const files = { 'migrations/001_a.sql': 'CREATE TABLE in_app (id int);\n' };
  const [direct, printed, refused] = [await testDatabase(import.meta.url), await testDatabase(import.meta.url), await testDatabase(import.meta.url)];
  const args = ['--schema', 'app', '--table', 'ops.ledger'];
  const run = await (await makeProject(files, direct.url)).run(['up', ...args]);
  assert.equal(run.status, 0, run.stderr);
  const dry = await (await makeProject(files, printed.url)).run(['up', '--dry-run', ...args]);
  assert.equal(dry.status, 0, dry.stderr);
  const psql = promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', printed.url, '-f', '-'], { env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } });
  psql.child.stdin?.end(dry.stdout);
  await psql;
  const shapeOf = async (sql: postgres.Sql): Promise<unknown> =>
    sql.unsafe(`SELECT (SELECT json_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')) AS tables,
                       (SELECT json_agg(json_build_array(version, name, pgshift_version) ORDER BY version) FROM ops.ledger) AS ledger`);
  const expected = await shapeOf(direct.sql);
  assert.deepEqual(await shapeOf(printed.sql), expected);
  assert.match(JSON.stringify(expected), /"app\.in_app","ops\.ledger"/);

  // Refused before anything runs (a syntax error): neither schema is made.
  const broken = await (await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE in_app (id int;\n' }, refused.url)).run(['up', ...args]);
  assert.equal(broken.status, 3, broken.stderr);
  const [row] = await refused.sql<[{ schemas: number }]>`SELECT count(*)::int AS schemas FROM pg_namespace WHERE nspname IN ('app', 'ops')`;
  assert.equal(row.schemas, 0);
});

test('on a LATIN1 database the printed plan through psql stores non-ASCII text as the run does: the plan speaks UTF-8', async () => {
  const files = { 'migrations/001_t.sql': "CREATE TABLE accents (v text);\nINSERT INTO accents VALUES ('héllo ÿ');\n" };
  const [direct, printed] = [await testDatabase(import.meta.url, { encoding: 'LATIN1' }), await testDatabase(import.meta.url, { encoding: 'LATIN1' })];
  assert.equal((await (await makeProject(files, direct.url)).run(['up'])).status, 0);
  const dry = await (await makeProject(files, printed.url)).run(['up', '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  const psql = promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', printed.url, '-f', '-'], { env: { ...process.env, PGCLIENTENCODING: undefined, PGOPTIONS: '-c client_min_messages=warning' } });
  psql.child.stdin?.end(dry.stdout);
  await psql;
  const stored = async (sql: postgres.Sql): Promise<unknown> => (await sql`SELECT encode(convert_to(v, 'UTF8'), 'hex') AS v FROM accents`)[0]?.['v'];
  assert.equal(await stored(direct.sql), Buffer.from('héllo ÿ').toString('hex'));
  assert.equal(await stored(printed.sql), await stored(direct.sql));
});
