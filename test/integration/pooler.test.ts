/**
 * pgshift through a real PgBouncer in transaction mode. PgBouncer refuses any startup parameter it does not
 * know, and pgshift sends some (its version for the ledger, --schema's search_path, a trace's read-only
 * settings): those commands stop before anything runs, with a message that says a pooler is in the way and
 * what to do (--lock transaction, or the server itself). Commands that send none work through it; what
 * --lock transaction does through it is pooler-transaction.test.ts's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { makeProject } from '../support/project.js';
import { startBouncer } from '../support/pgbouncer.js';

const bouncer = await startBouncer();

test('up through PgBouncer stops at connect (exit 5) naming the pooler and what to do, with nothing run', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE t (id int);\n' }, bouncer.urlFor(db.name));
  for (const args of [['up'], ['trace'], ['status', '--schema', 'app']]) {
    const run = await project.run(args);
    assert.equal(run.status, 5, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /unsupported startup parameter/);
    assert.match(run.stderr, /a connection pooler \(PgBouncer\) between pgshift and the server refuses the settings pgshift sends/);
    assert.match(run.stderr, /point --database at the server itself/);
    assert.match(run.stderr, /run up, down, status, validate and drift through it with --lock transaction, which sends none/);
  }
  const [{ count }] = await db.sql<[{ count: number }]>`SELECT count(*)::int AS count FROM pg_class WHERE relname IN ('t', 'schema_migrations')`;
  assert.equal(count, 0, 'nothing was run');
});

test('status through PgBouncer works: it sends no setting of its own', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE t (id int);\n' }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  const pooled = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE t (id int);\n' }, bouncer.urlFor(db.name));
  const run = await pooled.run(['status', '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /"state":\s*"applied"/);
});
