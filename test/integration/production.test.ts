/** The lock made observable, a lost lock (as behind a transaction pooler), --schema, hostile names, provenance. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { resolveLedgerTable } from '../../src/db/ledger.js';
import { lockKey } from '../../src/db/lock.js';
import { testDatabase } from '../support/database.js';
import { errorLine, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

test('status shows who holds the migration lock', async () => {
  const project = await makeProject({ 'migrations/001_a.sql': 'SELECT 1;\n' }, db.url);
  const holder = postgres(db.url, { max: 1, connection: { application_name: 'deploy-42' } });
  const reserved = await holder.reserve();
  try {
    await reserved.unsafe(`SELECT pg_advisory_lock(${lockKey(resolveLedgerTable('schema_migrations', 'public')).sql})`);
    const [{ pid }] = await reserved<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    const run = await project.run(['status']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`\\nmigration lock: held by pid ${pid} \\(deploy-42, user postgres, from 127\\.0\\.0\\.1 since \\S+, idle\\)\\n$`));
  } finally {
    reserved.release();
    await holder.end();
  }
  const free = await project.run(['status']);
  assert.doesNotMatch(free.stdout, /migration lock/);
});

test('a migration that releases the lock, the last one included, is rolled back with nothing recorded: exit 4, and it says why', async () => {
  const project = await makeProject(
    {
      'migrations/001_first.sql': 'CREATE TABLE before_release (id int);\n',
      // Releasing every advisory lock is what a transaction-mode pooler does to a session lock, in effect.
      'migrations/002_release.sql': 'CREATE TABLE with_release (id int);\nSELECT pg_advisory_unlock_all();\n',
    },
    db.url,
  );
  const run = await project.run(['up', '--table', 'lost_ledger']);
  assert.equal(run.status, 4, run.stderr);
  const error = errorLine(run.stderr);
  assert.match(String(error?.['msg']), /the migration lock was lost while migrations\/002_release\.sql ran/);
  assert.match(String(error?.['hint']), /^nothing from that file was applied\. A transaction-mode pooler \(PgBouncer pool_mode=transaction/);
  // The guard's release of a lock the session no longer holds draws a server warning, which the error says better.
  assert.doesNotMatch(run.stderr, /don't own a lock/);
  const [row] = await sql<[{ before: string | null; with: string | null }]>`SELECT to_regclass('before_release')::text AS before, to_regclass('with_release')::text AS with`;
  assert.deepEqual(row, { before: 'before_release', with: null });
  const rows = await sql<Array<{ version: string }>>`SELECT version FROM lost_ledger ORDER BY version`;
  assert.deepEqual(rows.map((r) => Number(r.version)), [1]);
});

test('a lock released inside --single-transaction stops the run at that file: nothing of the transaction is applied', async () => {
  const project = await makeProject(
    {
      'migrations/001_release.sql': 'CREATE TABLE single_before (id int);\nSELECT pg_advisory_unlock_all();\n',
      'migrations/002_next.sql': 'CREATE TABLE single_after (id int);\n',
    },
    db.url,
  );
  const run = await project.run(['up', '--single-transaction', '--table', 'single_ledger']);
  assert.equal(run.status, 4, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), /the migration lock was lost while migrations\/001_release\.sql ran/);
  const [row] = await sql<[{ before: string | null; after: string | null; ledger: string | null }]>`
    SELECT to_regclass('single_before')::text AS before, to_regclass('single_after')::text AS after, to_regclass('single_ledger')::text AS ledger`;
  assert.deepEqual(row, { before: null, after: null, ledger: null });
});

test('a lock released by a statement of a no-transaction file, the last one included, rolls that statement back: exit 4, and the hint says what ran', async () => {
  for (const [table, text, recorded] of [
    ['nt_ledger', 'CREATE TABLE nt_first (id int);\nSELECT pg_advisory_unlock_all();\nCREATE TABLE nt_last (id int);\n', /^statement 1 of 3 ran and is recorded \(status shows the file as partial \(1\/3\)\); statement 2 was cancelled/],
    ['nt_last_ledger', 'CREATE TABLE nt_only (id int);\nSELECT pg_advisory_unlock_all();\n', /^statement 1 of 2 ran and is recorded \(status shows the file as partial \(1\/2\)\); statement 2 was cancelled/],
  ] as const) {
    const project = await makeProject({ 'migrations/001_release.sql': `-- pgshift:no-transaction\n${text}` }, db.url);
    const run = await project.run(['up', '--table', table]);
    assert.equal(run.status, 4, run.stderr);
    const error = errorLine(run.stderr);
    assert.deepEqual([error['code'], error['msg']], ['LOCK_LOST', 'the migration lock was lost while migrations/001_release.sql ran: this database session no longer holds it']);
    assert.match(String(error['hint']), recorded);
    const status = await project.run(['status', '--json', '--table', table]);
    assert.equal((JSON.parse(status.stdout) as Array<{ state: string }>)[0]?.state, 'partial');
  }
});

test('names holding pgshift\'s own dollar-quote tag stay names: schema, ledger table and migrations folder with $pgshift$', async () => {
  const project = await makeProject({ 'm$pgshift$x/001_t.sql': 'CREATE TABLE IF NOT EXISTS dollar_t (id int);\n' }, db.url);
  const args = ['--migrations-dir', 'm$pgshift$x', '--schema', 'a$pgshift$b', '--table', '"o$pgshift$".l'];
  const run = await project.run(['up', ...args]);
  assert.equal(run.status, 0, run.stderr);
  const [row] = await sql<[{ t: string | null; l: string | null }]>`SELECT to_regclass('"a$pgshift$b".dollar_t')::text AS t, to_regclass('"o$pgshift$".l')::text AS l`;
  assert.deepEqual(row, { t: '"a$pgshift$b".dollar_t', l: '"o$pgshift$".l' });
  const status = await project.run(['status', '--json', ...args]);
  assert.equal((JSON.parse(status.stdout) as Array<{ state: string }>)[0]?.state, 'applied');
});

test('--schema runs migrations in that schema, creating it; hostile names stay names', async () => {
  const schema = 'app"; DROP TABLE victim; --';
  await sql`CREATE TABLE victim (id int)`;
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE t (id int);\n' }, db.url);
  const run = await project.run(['up', '--schema', schema, '--table', '"ledger ""x"""']);
  assert.equal(run.status, 0, run.stderr);
  const rows = await sql`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND c.relkind = 'r' ORDER BY 1`;
  assert.deepEqual(rows.map((r) => r['relname']), ['ledger "x"', 't']);
  const [{ victim }] = await sql<[{ victim: string | null }]>`SELECT to_regclass('public.victim')::text AS victim`;
  assert.equal(victim, 'victim');
  const status = await project.run(['status', '--json', '--schema', schema, '--table', '"ledger ""x"""']);
  assert.equal((JSON.parse(status.stdout) as Array<{ state: string }>)[0]?.state, 'applied');
});

test('a --table that is not a name is refused before anything runs', async () => {
  // The table a name that ran as SQL would drop (the --schema test may have made it already).
  await sql`CREATE TABLE IF NOT EXISTS victim (id int)`;
  const project = await makeProject({ 'migrations/001_t.sql': 'SELECT 1;\n' }, db.url);
  for (const table of ['x; DROP TABLE victim', 'a.b.c', '"unclosed', '']) {
    const run = await project.run(['status', '--table', table]);
    assert.equal(run.status, 2, `${table}: ${run.stderr}`);
  }
  const [{ victim }] = await sql<[{ victim: string | null }]>`SELECT to_regclass('public.victim')::text AS victim`;
  assert.equal(victim, 'victim');
});

test('each ledger row records the pgshift version and the git commit of the migrations', async () => {
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE provenance_t (id int);\n' }, db.url);
  const git = (...args: string[]) => promisify(execFile)('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: project.dir });
  await git('init', '-q');
  await git('add', '.');
  await git('commit', '-qm', 'migrations');
  const head = (await git('rev-parse', 'HEAD')).stdout.trim();
  const run = await project.run(['up', '--table', 'provenance_ledger']);
  assert.equal(run.status, 0, run.stderr);
  const [row] = await sql`SELECT pgshift_version, git_commit FROM provenance_ledger`;
  assert.match(String(row?.['pgshift_version']), /^\d+\.\d+\.\d+/);
  assert.equal(row?.['git_commit'], head);
  const status = await project.run(['status', '--json', '--table', 'provenance_ledger']);
  assert.equal((JSON.parse(status.stdout) as Array<{ gitCommit: string }>)[0]?.gitCommit, head);
});
