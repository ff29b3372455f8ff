/**
 * `--lock transaction` through a real PgBouncer in transaction mode, whose pool is smaller than the runs
 * using it, so one run's transactions do reach different server connections. Each migration transaction
 * takes the lock itself and checks the ledger it planned from; nothing depends on the session.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createMigrator, isPgshiftError } from '../../src/index.js';
import { PGSHIFT_VERSION } from '../../src/version.js';
import { testDatabase, urlFor } from '../support/database.js';
import { errorLine, makeProject } from '../support/project.js';
import { startBouncer } from '../support/pgbouncer.js';
import { startProxy } from '../support/proxy.js';
import { advisoryLocks, counted, holdLock, start, waitFor } from '../support/xact-runs.js';

const bouncer = await startBouncer(3);
const LOCK = ['--lock', 'transaction'];

test('8 concurrent up --lock transaction through PgBouncer (pool 3): all exit 0, each migration applied once, with provenance', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(counted());
  // All eight plan from the same (missing) ledger while the lock is held: all but the first must re-plan.
  const holder = await holdLock(db);
  const runs = Array.from({ length: 8 }, () => start(project, bouncer.urlFor(db.name), ['up', ...LOCK]));
  await waitFor(() => runs.every((run) => run.stderr.includes('waiting for the migration lock')), 'all eight waiting for the lock');
  await holder.release();
  const statuses = await Promise.all(runs.map((run) => run.exit));
  assert.deepEqual(statuses, [0, 0, 0, 0, 0, 0, 0, 0], runs.map((run) => run.stderr).join('\n'));
  const replanned = runs.filter((run) => run.stderr.includes('reading it again and applying what is still pending')).length;
  assert.ok(replanned >= 7, `${replanned} runs re-read the ledger`);
  const ledger = await db.sql<Array<{ version: string; pgshift_version: string | null }>>`SELECT version, pgshift_version FROM schema_migrations ORDER BY version`;
  assert.deepEqual(ledger.map((row) => Number(row.version)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(ledger.every((row) => row.pgshift_version === PGSHIFT_VERSION), JSON.stringify(ledger));
  const counter = await db.sql<Array<{ version: number; times: number }>>`SELECT version, count(*)::int AS times FROM counter GROUP BY version ORDER BY version`;
  assert.deepEqual(counter.map((row) => [row.version, row.times]), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((version) => [version, 1]));
  assert.equal(await advisoryLocks(db), 0, 'no advisory lock left on any backend');

  const down = start(project, bouncer.urlFor(db.name), ['down', '--steps', '3', ...LOCK]);
  assert.equal(await down.exit, 0, down.stderr);
  const left = await db.sql<Array<{ version: string }>>`SELECT version FROM schema_migrations ORDER BY version`;
  assert.deepEqual(left.map((row) => Number(row.version)), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal((await db.sql`SELECT 1 FROM pg_class WHERE relname = 't_010'`).length, 0, 'down reverted through the pooler');
  assert.equal(await advisoryLocks(db), 0);
});

test('--schema tenant_a --lock transaction through PgBouncer: tables and ledger land in tenant_a', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(counted());
  const runs = Array.from({ length: 3 }, () => start(project, bouncer.urlFor(db.name), ['up', '--schema', 'tenant_a', ...LOCK]));
  const statuses = await Promise.all(runs.map((run) => run.exit));
  assert.deepEqual(statuses, [0, 0, 0], runs.map((run) => run.stderr).join('\n'));
  const tables = await db.sql<Array<{ schema: string; count: number }>>`
    SELECT n.nspname AS schema, count(*)::int AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname IN ('public', 'tenant_a') GROUP BY n.nspname`;
  assert.deepEqual(tables.map((row) => [row.schema, row.count]), [['tenant_a', 11]], 'ten tables, counter and ledger, all in tenant_a');
  const [row] = await db.sql<[{ rows: number; versions: number }]>`SELECT count(*)::int AS rows, count(pgshift_version)::int AS versions FROM tenant_a.schema_migrations`;
  assert.deepEqual(row, { rows: 10, versions: 10 });
  const status = start(project, bouncer.urlFor(db.name), ['status', '--schema', 'tenant_a', '--json', ...LOCK]);
  assert.equal(await status.exit, 0, status.stderr);
  assert.equal(await advisoryLocks(db), 0);
});

test('--schema with --lock transaction needs no CREATE on the database when the schema exists', async () => {
  const db = await testDatabase(import.meta.url);
  const role = `pgshift_tenant_${process.pid}`;
  await db.sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'tenant-pw'`);
  try {
    await db.sql.unsafe(`REVOKE CREATE ON DATABASE "${db.name}" FROM PUBLIC; CREATE SCHEMA tenant_c AUTHORIZATION ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'tenant-pw';
    const project = await makeProject(counted(), url.toString());
    const up = await project.run(['up', '--schema', 'tenant_c', ...LOCK]);
    assert.equal(up.status, 0, up.stderr);
    const [row] = await db.sql<[{ rows: number }]>`SELECT count(*)::int AS rows FROM tenant_c.schema_migrations`;
    assert.equal(row.rows, 10);
  } finally {
    await db.sql.unsafe(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
  }
});

test('down --lock transaction stops with LEDGER_MOVED (exit 4) when another run changed the ledger after it planned', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(counted());
  assert.equal(await start(project, bouncer.urlFor(db.name), ['up', '--to', '3', ...LOCK]).exit, 0);
  const holder = await holdLock(db);
  const down = start(project, bouncer.urlFor(db.name), ['down', ...LOCK]);
  await waitFor(() => down.stderr.includes('waiting for the migration lock'), 'down waiting for the lock');
  // As another run would: version 2 is reverted while down waits to revert version 3.
  await holder.release((sql) => sql`DELETE FROM schema_migrations WHERE version = 2`);
  assert.equal(await down.exit, 4, down.stderr);
  const error = errorLine(down.stderr);
  assert.equal(error['code'], 'LEDGER_MOVED');
  assert.match(String(error['hint']), /nothing of rollbacks\/003_t\.sql ran; run down again/);
  assert.equal((await db.sql`SELECT 1 FROM pg_class WHERE relname = 't_003'`).length, 1, 'the rollback did not run');
});

test('the lock held by another for all of --lock-wait: LOCK_TIMEOUT (exit 4) naming the holder, nothing run', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(counted());
  const holder = await holdLock(db);
  const up = start(project, bouncer.urlFor(db.name), ['up', '--lock-wait', '1', ...LOCK]);
  const status = await up.exit;
  await holder.release();
  assert.equal(status, 4, up.stderr);
  assert.equal(errorLine(up.stderr)['code'], 'LOCK_TIMEOUT');
  assert.match(up.stderr, /the migration lock is still held after 1 s by pid \d+/);
  assert.equal((await db.sql`SELECT 1 FROM pg_class WHERE relname IN ('counter', 'schema_migrations')`).length, 0);
});

test('SIGINT while waiting for the lock: exit 130, nothing run', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(counted());
  const holder = await holdLock(db);
  const up = start(project, bouncer.urlFor(db.name), ['up', ...LOCK]);
  await waitFor(() => up.stderr.includes('waiting for the migration lock'), 'up waiting for the lock');
  up.child.kill('SIGINT');
  const status = await up.exit;
  await holder.release();
  assert.equal(status, 130, up.stderr);
  assert.match(String(errorLine(up.stderr)['msg']), /interrupted while waiting for the migration lock/);
  assert.match(String(errorLine(up.stderr)['hint']), /nothing was left half-done; another run holds the lock/);
  assert.equal((await db.sql`SELECT 1 FROM pg_class WHERE relname IN ('counter', 'schema_migrations')`).length, 0);
});

test('the API refuses lock: transaction for redo, baseline, repair, verify and trace alike (USAGE)', async () => {
  const project = await makeProject(counted());
  const migrator = createMigrator({ database: { url: 'postgres://nobody@127.0.0.1:1/none' }, cwd: project.dir, lock: 'transaction' });
  const calls = [() => migrator.redo(), () => migrator.baseline({ version: 1 }), () => migrator.repair(), () => migrator.verify(), () => migrator.trace(), () => migrator.plan({ direction: 'redo' })];
  for (const call of calls) {
    await assert.rejects(call(), (error: unknown) => isPgshiftError(error) && error.code === 'USAGE' && /--lock transaction is for up, down/.test(error.message));
  }
});

test('no startup parameter beyond the basics and no session lock on the wire', async () => {
  const db = await testDatabase(import.meta.url);
  const proxy = await startProxy(new URL(db.url));
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const project = await makeProject(counted(), url.toString());
  for (const args of [['up', '--to', '5'], ['down'], ['status'], ['validate'], ['up', '--single-transaction']]) {
    const run = await project.run([...args, '--schema', 'app', ...LOCK]);
    assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`);
  }
  assert.ok(proxy.connections.length >= 5);
  for (const { parameters, sql } of proxy.connections) {
    assert.deepEqual(Object.keys(parameters).sort(), ['application_name', 'client_encoding', 'database', 'user']);
    const text = sql.join('\n');
    assert.doesNotMatch(text, /pg_(try_)?advisory_(un)?lock\(/, 'no session advisory lock');
    assert.doesNotMatch(text, /this session does not hold the migration lock/, 'no session lock guard');
  }
  const [row] = await db.sql<[{ rows: number }]>`SELECT count(*)::int AS rows FROM app.schema_migrations WHERE pgshift_version = ${PGSHIFT_VERSION}`;
  assert.equal(row.rows, 10);
  await proxy.close();
});

test('a no-transaction file is refused (NEEDS_SESSION, exit 3) before anything runs; validate reports it', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(
    {
      'migrations/001_t.sql': 'CREATE TABLE t (id int);\n',
      'migrations/002_ix.sql': '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_t ON t (id);\n',
    },
    bouncer.urlFor(db.name),
  );
  const up = await project.run(['up', ...LOCK]);
  assert.equal(up.status, 3, up.stderr);
  assert.match(up.stderr, /NEEDS_SESSION/);
  assert.match(errorLine(up.stderr)['msg'] as string, /migrations\/002_ix\.sql runs outside a transaction/);
  assert.equal((await db.sql`SELECT 1 FROM pg_class WHERE relname IN ('t', 'schema_migrations')`).length, 0, 'nothing ran');
  const validate = await project.run(['validate', '--json', ...LOCK]);
  assert.equal(validate.status, 3, validate.stderr);
  assert.match(validate.stdout, /"code":\s*"NEEDS_SESSION"/);
  assert.equal((await project.run(['validate'])).status, 0, 'under the session lock the file is fine');
});

test('commands that need one session refuse --lock transaction (exit 2), with nothing run', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(counted(), bouncer.urlFor(db.name));
  for (const args of [['redo'], ['redo', '--dry-run'], ['baseline', '--version', '1'], ['repair'], ['verify'], ['trace'], ['up', '--dry-run', '--trace']]) {
    const run = await project.run([...args, ...LOCK]);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /--lock transaction is for up, down, status, validate and drift/);
  }
  assert.equal((await db.sql`SELECT 1 FROM pg_class WHERE relname IN ('counter', 'schema_migrations')`).length, 0);
});

test('drift --lock transaction through PgBouncer: a scratch database reached directly, clean is exit 0', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(counted(), bouncer.urlFor(db.name));
  assert.equal((await project.run(['up', '--schema', 'tenant_a', ...LOCK])).status, 0);
  const drift = await project.run(['drift', '--schema', 'tenant_a', '--scratch-database', urlFor('postgres'), ...LOCK]);
  assert.equal(drift.status, 0, drift.stderr + drift.stdout);
  const refused = await project.run(['drift', ...LOCK]);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /--scratch-database/);
  assert.equal(await advisoryLocks(db), 0);
});

async function psql(url: string, script: string): Promise<void> {
  const child = promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], { env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } });
  child.child.stdin?.end(script);
  await child;
}

test('the dry run is what is sent: no session lock around it, and psql runs it on a fresh database', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(counted(), db.url);
  const plan = await project.run(['up', '--dry-run', '--schema', 'tenant_b', ...LOCK]);
  assert.equal(plan.status, 0, plan.stderr);
  assert.doesNotMatch(plan.stdout, /pg_advisory_(un)?lock\(/);
  assert.match(plan.stdout, /^SET client_encoding = 'UTF8';\n-- migrations\/001_counter\.sql \(version 1\)\nBEGIN;\nDO \$pgshift\$ BEGIN IF NOT pg_try_advisory_xact_lock\(-?\d+\)/);
  assert.match(plan.stdout, /PERFORM set_config\('search_path','"tenant_b"',true\), set_config\('pgshift\.version','[^']+',true\);/);
  await psql(db.url, plan.stdout);
  const [row] = await db.sql<[{ rows: number; versions: number }]>`SELECT count(*)::int AS rows, count(pgshift_version)::int AS versions FROM tenant_b.schema_migrations`;
  assert.deepEqual(row, { rows: 10, versions: 10 });
  const down = await project.run(['down', '--steps', '2', '--dry-run', '--schema', 'tenant_b', ...LOCK]);
  assert.equal(down.status, 0, down.stderr);
  await psql(db.url, down.stdout);
  const status = await project.run(['status', '--json', '--schema', 'tenant_b', ...LOCK]);
  const states = (JSON.parse(status.stdout) as Array<{ state: string }>).map((entry) => entry.state);
  assert.deepEqual(states, [...Array(8).fill('applied'), 'pending', 'pending']);
  // Planned from a ledger that has since moved: the check stops the script before its rollback runs.
  const next = await project.run(['down', '--dry-run', '--schema', 'tenant_b', ...LOCK]);
  await db.sql`DELETE FROM tenant_b.schema_migrations WHERE version = 7`;
  await assert.rejects(psql(db.url, next.stdout), /another run changed the ledger tenant_b\.schema_migrations after this run read it/);
  assert.equal((await db.sql`SELECT 1 FROM pg_class WHERE relname = 't_008'`).length, 1);
});
