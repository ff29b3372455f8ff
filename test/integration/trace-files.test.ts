/**
 * Files a trace must take as `up` takes them: one that sets its own statement_timeout, a --schema the target
 * does not have yet, and --all stopped by --to.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TraceReport } from '../../src/core/trace-types.js';
import { testDatabase } from '../support/database.js';
import { makeProject } from '../support/project.js';

test("a file's own SET statement_timeout does not cut the trace's catalog reads short", async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE t (id int PRIMARY KEY, note text);\n' }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  // 10 ms: far below what the trace's catalog reads take. The file's own statements after it are SELECTs,
  // which never near it: an ALTER TABLE did, once, on a loaded machine (at 1 ms, so did the SET's lifting).
  await project.write('migrations/002_fast.sql', "SET statement_timeout = '10ms';\nSELECT 1;\nSELECT 2;\n");
  for (let round = 0; round < 3; round++) {
    const run = await project.run(['trace', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as TraceReport;
    assert.equal(report.files[0]?.statements.length, 3);
  }
});

test('--schema names a schema the target does not have yet: the scratch copy makes it first, as up does', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE "Big Table" (id int);\n', 'migrations/002_i.sql': 'CREATE INDEX ix ON "Big Table" (id);\nSELECT 1;\n' }, db.url);
  const run = await project.run(['trace', '--json', '--schema', 'Fresh One']);
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as TraceReport;
  assert.deepEqual(report.files.map((file) => file.path), ['migrations/001_t.sql', 'migrations/002_i.sql']);
  assert.deepEqual(report.files[1]?.holds.map((hold) => [hold.relation.schema, hold.relation.name, hold.mode, hold.size]), [['Fresh One', 'Big Table', 'ShareLock', 'absent']]);
  const [{ count }] = await db.sql<[{ count: number }]>`SELECT count(*)::int AS count FROM pg_namespace WHERE nspname = 'Fresh One'`;
  assert.equal(count, 0, 'nothing was made on the target');
});

test('--all with --to traces the files up to that version; --to with --migration is refused', async () => {
  const db = await testDatabase(import.meta.url);
  const files = Object.fromEntries([1, 2, 3].map((version) => [`migrations/00${version}_t${version}.sql`, `CREATE TABLE t${version} (id int);\n`]));
  const project = await makeProject(files, db.url);
  const run = await project.run(['trace', '--json', '--all', '--to', '2']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual((JSON.parse(run.stdout) as TraceReport).files.map((file) => file.version), [1, 2]);
  const both = await project.run(['trace', '--to', '2', '--migration', 'migrations/003_t3.sql']);
  assert.equal(both.status, 2, both.stderr);
  assert.match(both.stderr, /to and migration/);
});

test('VACUUM FULL runs alone, its lock unseen, but the rewrite it makes is seen and judged under ACCESS EXCLUSIVE', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_t.sql': 'CREATE TABLE t (id int PRIMARY KEY, note text);\n' }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  await project.write('migrations/002_vacuum.sql', '-- pgshift:no-transaction\nVACUUM FULL t;\n');
  const run = await project.run(['trace', '--json', '--big', '0', '--strict']);
  assert.equal(run.status, 3, run.stderr);
  const report = JSON.parse(run.stdout) as TraceReport;
  assert.equal(report.files[0]?.statements[0]?.observed, 'unobserved');
  assert.deepEqual(report.findings.map((finding) => [finding.rule, finding.relation, finding.message.replace(/ \(.*?\)/, '')]), [
    ['table-rewrite', 'public.t', 'rewrites public.t under ACCESS EXCLUSIVE, for statement 1 only'],
  ]);
  assert.deepEqual(report.files[0]?.holds.map((hold) => [hold.relation.name, hold.mode]), [['t', 'AccessExclusiveLock']]);
});
