/** The migration lock: concurrent runs apply each migration once, and a held lock times out with exit 4. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { resolveLedgerTable } from '../../src/db/ledger.js';
import { lockKey } from '../../src/db/lock.js';
import { testDatabase } from '../support/database.js';
import { cleanEnv, errorLine, finished, logLines, makeProject, spawnPgshift } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const db = await testDatabase(import.meta.url);
const project = await makeProject(
  {
    // No IF NOT EXISTS: a second application of either file would fail, so exit 0 twice proves "exactly once".
    'migrations/001_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(1);\n',
    'migrations/002_next.sql': 'CREATE TABLE next (id int);\n',
  },
  db.url,
);

test('two up processes started together apply each migration exactly once', async () => {
  const runs = await Promise.all([project.run(['up']), project.run(['up'])]);
  for (const run of runs) assert.equal(run.status, 0, run.stderr);
  const applied = runs
    .flatMap((run) => logLines(run.stderr).map((line) => /^applied (\S+)/.exec(String(line['msg']))?.[1]))
    .filter((path) => path !== undefined);
  assert.deepEqual(applied.sort(), ['migrations/001_slow.sql', 'migrations/002_next.sql']);
  const waited = runs.filter((run) => /waiting for the migration lock/.test(run.stderr));
  assert.equal(waited.length, 1, 'the second run waits for the first instead of racing it');
  const rows = await db.sql<Array<{ version: string }>>`SELECT version FROM schema_migrations ORDER BY version`;
  assert.deepEqual(
    rows.map((row) => row.version),
    ['1', '2'],
  );
});

test('a lock held elsewhere makes up wait, then exit 4 naming the holder, with nothing applied', async () => {
  await project.write('migrations/003_blocked.sql', 'CREATE TABLE blocked (id int);\n');
  const holder = postgres(db.url, { max: 1, connection: { application_name: 'long-deploy' } });
  const held = await holder.reserve();
  try {
    const key = lockKey(resolveLedgerTable('schema_migrations', 'public'));
    await held.unsafe(`SELECT pg_advisory_lock(${key.sql})`);
    const [{ pid }] = await held<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;

    const started = performance.now();
    const run = await project.run(['up', '--lock-wait', '1']);
    assert.equal(run.status, 4, run.stderr);
    assert.ok(performance.now() - started >= 1000, 'it waited the full --lock-wait before giving up');
    const error = errorLine(run.stderr);
    assert.match(String(error?.['msg']), new RegExp(`still held after 1 s by pid ${pid} \\(long-deploy, user postgres`));
    assert.match(String(error?.['hint']), /--lock-wait/);
    const [{ table }] = await db.sql<[{ table: string | null }]>`SELECT to_regclass('blocked')::text AS table`;
    assert.equal(table, null);
  } finally {
    held.release();
    await holder.end();
  }
  const after = await project.run(['up']);
  assert.equal(after.status, 0, after.stderr);
  assert.match(after.stderr, /applied migrations\/003_blocked\.sql/);
});

test('a second pgshift names the first by the file it runs and for how long, never by its SQL, and exits 4', async () => {
  // The running file's text holds a secret: the waiting run must not repeat it.
  await project.write('migrations/004_long.sql', "SELECT 'hunter2-secret' AS token, pg_sleep(8);\n");
  const first = spawnPgshift(['up'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
  const firstDone = finished(first);
  await waitFor(async () => {
    const [row] = await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE application_name LIKE 'pgshift up: migrations/004\_long.sql @%' AND state = 'active'`;
    return row?.['n'] === 1;
  });
  const second = await project.run(['up', '--lock-wait', '1', '--log-level', 'debug']);
  assert.equal(second.status, 4, second.stderr);
  const error = errorLine(second.stderr);
  assert.match(
    String(error?.['msg']),
    /still held after 1 s by pid \d+ \(pgshift up: migrations\/004_long\.sql, running \d s, user postgres, from 127\.0\.0\.1 since \S+, active\)$/,
  );
  assert.match(second.stderr, /waiting for the migration lock by pid \d+ \(pgshift up: migrations\/004_long\.sql, running \d s/);
  assert.doesNotMatch(second.stderr, /hunter2|pg_sleep|\$pgshift\$/, "the holder's query text is never shown");
  const status = await project.run(['status']);
  assert.match(status.stdout, /migration lock: held by pid \d+ \(pgshift up: migrations\/004_long\.sql, running \d s/);
  assert.doesNotMatch(status.stdout + status.stderr, /hunter2/);
  assert.equal((await firstDone).status, 0);
});

test('a waiting pgshift never blocks a CREATE INDEX CONCURRENTLY run by the holder', async () => {
  // A waiter blocked inside the server (pg_advisory_lock) would hold a snapshot that CIC waits for, while
  // it waits for the holder: a deadlock (Flyway #1654). pgshift only polls pg_try_advisory_lock.
  await db.sql`CREATE TABLE cic_target AS SELECT g AS id FROM generate_series(1, 10000) g`;
  await project.write('migrations/005_cic.sql', '-- pgshift:no-transaction\nSELECT pg_sleep(3);\nCREATE INDEX CONCURRENTLY ix_cic_target ON cic_target (id);\n');
  const holder = spawnPgshift(['up'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
  const holderDone = finished(holder);
  await waitFor(async () => {
    const [row] = await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'pgshift up: migrations/005\_cic.sql @%' AND wait_event = 'PgSleep'`;
    return row?.['n'] === 1;
  });
  const waiter = await project.run(['up', '--lock-wait', '30']);
  assert.equal(waiter.status, 0, waiter.stderr);
  assert.match(waiter.stderr, /waiting for the migration lock/);
  assert.equal((await holderDone).status, 0);
  const [index] = await db.sql`SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('ix_cic_target')`;
  assert.equal(index?.['indisvalid'], true);
});

test('a role that may not read other sessions still sees which pgshift file holds the lock, and is told pg_monitor shows more', async () => {
  const watcher = `pgshift_watcher_${process.pid}`;
  await db.sql.unsafe(`CREATE ROLE ${watcher} LOGIN PASSWORD 'watcher-pw'`);
  try {
    await project.write('migrations/006_hold.sql', 'SELECT pg_sleep(8);\n');
    const first = spawnPgshift(['up'], project.dir, cleanEnv({ DATABASE_URL: db.url }));
    const firstDone = finished(first);
    await waitFor(async () => {
      const [row] = await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'pgshift up: migrations/006\_hold.sql @%'`;
      return row?.['n'] === 1;
    });
    const url = new URL(db.url);
    url.username = watcher;
    url.password = 'watcher-pw';
    const second = await project.run(['up', '--lock-wait', '1'], { env: { DATABASE_URL: url.toString() } });
    assert.equal(second.status, 4, second.stderr);
    assert.match(
      String(errorLine(second.stderr)['msg']),
      /by pid \d+ \(pgshift up: migrations\/006_hold\.sql, running \d s, user postgres; its address and state are hidden from this role: a member of pg_monitor sees them\)/,
    );
    assert.equal((await firstDone).status, 0);
  } finally {
    await db.sql.unsafe(`DROP ROLE IF EXISTS ${watcher}`);
  }
});
