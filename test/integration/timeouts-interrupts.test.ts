/** Lock timeouts with retries, --single-transaction, and SIGINT/SIGTERM while a statement runs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { cleanEnv, errorLine, finished, logLines, makeProject, spawnPgshift, type Project } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const ACCOUNTS = { 'migrations/001_accounts.sql': 'CREATE TABLE accounts (id int PRIMARY KEY);\n' };

interface Applied {
  readonly project: Project;
  readonly db: TestDatabase;
}

/** A database and project of the test's own, with 001 and `more` applied. */
async function appliedProject(more: Readonly<Record<string, string>> = {}): Promise<Applied> {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ ...ACCOUNTS, ...more }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  return { project, db };
}

/** Another session holding an ACCESS EXCLUSIVE lock on accounts in an open transaction, like a stuck deploy. */
async function holdTableLock(url: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const other = postgres(url, { max: 1, connection: { application_name: 'stuck-report' } });
  const reserved = await other.reserve();
  // Its last query holds a secret, which no pgshift output may repeat.
  await reserved.unsafe("BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE; SELECT 'report-secret-42' AS token;");
  const [{ pid }] = await reserved<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
  return {
    pid,
    release: async () => {
      await reserved.unsafe('ROLLBACK');
      reserved.release();
      await other.end();
    },
  };
}

test('a lock timeout is retried, and the migration applies once the lock is released', async () => {
  const { project, db } = await appliedProject();
  const { sql } = db;
  await project.write('migrations/002_add_email.sql', 'ALTER TABLE accounts ADD COLUMN email text;\n');
  const lock = await holdTableLock(db.url);
  const child = spawnPgshift(['up', '--lock-timeout', '300ms', '--lock-retries', '3'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
  const done = finished(child);
  // Released only once pgshift has timed out and said it will retry, so the test does not depend on timing.
  let seen = '';
  child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  await waitFor(async () => seen.includes('retry 1 of 3'), 'the first retry');
  await lock.release();
  const run = await done;
  assert.equal(run.status, 0, run.stderr);
  const retries = logLines(run.stderr).filter((line) => line['level'] === 40 && /retry/.test(String(line['msg'])));
  assert.match(String(retries[0]?.['msg']), /canceling statement due to lock timeout: lock timeout; retry 1 of 3 in 1000 ms/);
  const [{ column }] = await sql<[{ column: string | null }]>`
    SELECT column_name AS column FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'`;
  assert.equal(column, 'email');
});

test('when the lock is never released, retries run out and the error names the session holding it', async () => {
  const { project, db } = await appliedProject();
  const { sql } = db;
  await project.write('migrations/003_add_name.sql', 'ALTER TABLE accounts ADD COLUMN name text;\n');
  const lock = await holdTableLock(db.url);
  try {
    const run = await project.run(['up', '--lock-timeout', '200ms', '--lock-retries', '1']);
    assert.equal(run.status, 1, run.stderr);
    const error = errorLine(run.stderr);
    assert.match(String(error?.['msg']), /^migrations\/003_add_name\.sql:1:1: canceling statement due to lock timeout \(gave up after 1 retry\)/);
    assert.match(String(error?.['hint']), new RegExp(`pid ${lock.pid} \\(stuck-report, user postgres, idle in transaction for \\d+ s, holding accounts\\)`));
    assert.doesNotMatch(run.stderr, /report-secret-42/, "another session's query text is never shown");
    assert.match(String(error?.['hint']), /The file is not at fault: another session holds a lock it needs/);
    assert.doesNotMatch(String(error?.['hint']), /fix the file/);
    const [{ count }] = await sql<[{ count: number }]>`SELECT count(*)::int AS count FROM schema_migrations WHERE version = 3`;
    assert.equal(count, 0);
  } finally {
    await lock.release();
  }
  assert.equal((await project.run(['up'])).status, 0);
});

test('--single-transaction applies all pending files or none', async () => {
  const { project, db } = await appliedProject({
    'migrations/002_add_email.sql': 'ALTER TABLE accounts ADD COLUMN email text;\n',
    'migrations/003_add_name.sql': 'ALTER TABLE accounts ADD COLUMN name text;\n',
  });
  const { sql } = db;
  await project.write('migrations/004_one.sql', 'CREATE TABLE one (id int);\n');
  await project.write('migrations/005_two.sql', 'CREATE TABLE two (id int);\nSELECT * FROM\n  missing_table;\n');
  const failed = await project.run(['up', '--single-transaction']);
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(failed.stderr, /migrations\/005_two\.sql:3:3: relation \\"missing_table\\" does not exist/);
  const [state] = await sql`SELECT to_regclass('one') AS one, (SELECT max(version)::int FROM schema_migrations) AS newest`;
  assert.deepEqual([state?.['one'], state?.['newest']], [null, 3], 'file 4 was rolled back with file 5');

  await project.write('migrations/005_two.sql', 'CREATE TABLE two (id int);\n');
  const applied = await project.run(['up', '--single-transaction', '--json']);
  assert.equal(applied.status, 0, applied.stderr);
  assert.deepEqual((JSON.parse(applied.stdout) as Array<{ version: number }>).map((r) => r.version), [4, 5]);
});

test('--single-transaction refuses a no-transaction file with exit 2', async () => {
  const { project } = await appliedProject({ 'migrations/004_one.sql': 'CREATE TABLE one (id int);\n' });
  await project.write('migrations/006_cic.sql', '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_one ON one (id);\n');
  const run = await project.run(['up', '--single-transaction']);
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /006_cic\.sql is a no-transaction file/);
  assert.equal((await project.run(['up'])).status, 0);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during a long statement cancels it, rolls back, releases the lock and exits 130`, async () => {
    const { project, db } = await appliedProject();
    const { sql } = db;
    const version = signal === 'SIGINT' ? 7 : 8;
    await project.write(`migrations/00${version}_slow.sql`, `CREATE TABLE slow_${version} (id int);\nSELECT pg_sleep(60);\n`);
    const child = spawnPgshift(['up'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
    const done = finished(child);
    await waitFor(async () => {
      const [row] = await sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE ${`pgshift up: migrations/00${version}_slow.sql @%`} AND state = 'active'`;
      return row?.['n'] === 1;
    }, 'the statement running');
    const sent = performance.now();
    child.kill(signal);
    const { status, stderr } = await done;
    assert.equal(status, 130, stderr);
    assert.ok(performance.now() - sent < 5000, 'the statement was cancelled, not waited for');
    assert.match(stderr, new RegExp(`interrupted while running migrations/00${version}_slow\\.sql`));
    // Piped, the notice that the run is stopping is a log line like the others.
    const notice = logLines(stderr).find((line) => String(line['msg']).startsWith(`${signal}: stopping`));
    assert.deepEqual([notice?.['level'], notice?.['signal']], [40, signal], stderr);
    assert.ok(stderr.split('\n').every((line) => line === '' || line.startsWith('{')), stderr);
    const [state] = await sql`
      SELECT to_regclass(${`slow_${version}`}) AS created,
             (SELECT count(*)::int FROM schema_migrations WHERE version = ${version}) AS recorded,
             (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS locks`;
    assert.deepEqual([state?.['created'], state?.['recorded'], state?.['locks']], [null, 0, 0]);
  });
}

test('SIGINT during --single-transaction names the transaction\'s files, not only its first, and says nothing of them was applied', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_quick.sql': 'CREATE TABLE quick (id int);\n', 'migrations/002_slow.sql': 'SELECT pg_sleep(60);\n' });
  const child = spawnPgshift(['up', '--single-transaction'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
  const done = finished(child);
  await waitFor(async () => {
    const [row] = await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'pgshift up: migrations/002_slow.sql @%' AND state = 'active'`;
    return row?.['n'] === 1;
  }, 'the slow file running');
  child.kill('SIGINT');
  const { status, stderr } = await done;
  assert.equal(status, 130, stderr);
  const error = errorLine(stderr);
  assert.equal(error['msg'], 'interrupted while running the 2 files of one transaction (migrations/001_quick.sql to migrations/002_slow.sql)');
  assert.match(String(error['hint']), /rolled back: nothing it ran was applied/);
  const [row] = await db.sql`SELECT to_regclass('quick')::text AS quick, to_regclass('schema_migrations')::text AS ledger`;
  assert.deepEqual([row?.['quick'], row?.['ledger']], [null, null]);
});
