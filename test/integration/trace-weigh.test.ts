/**
 * How a trace weighs what it locks on the target: a table never vacuumed or analyzed is not taken for an
 * empty one, a partitioned table weighs what its partitions do, and a ledger locked by someone else makes
 * the target's reads give up after --lock-wait instead of waiting for ever.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TraceReport } from '../../src/core/trace-types.js';
import { testDatabase } from '../support/database.js';
import { makeProject } from '../support/project.js';

async function traced(setup: string, pending: string, args: readonly string[] = []) {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ 'migrations/001_setup.sql': setup }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  return { db, project, pending: () => project.write('migrations/002_change.sql', pending), args };
}

test('a table never vacuumed or analyzed has an unknown size, and an unknown size is a finding', async () => {
  const { db, project, pending } = await traced('CREATE TABLE loaded (id int, note text) WITH (autovacuum_enabled = off);\n', 'ALTER TABLE loaded ALTER COLUMN id TYPE bigint;\n');
  await db.sql.unsafe("INSERT INTO loaded SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g");
  await pending();
  const run = await project.run(['trace', '--json', '--big', '1MB']);
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as TraceReport;
  assert.deepEqual(report.findings.map((finding) => [finding.rule, finding.relation]), [['alter-column-type', 'public.loaded']]);
  assert.match(report.findings[0]?.message ?? '', /\(size unknown: never vacuumed or analyzed\)/);
});

test('a partitioned table weighs what its partitions weigh together', async () => {
  const setup = `CREATE TABLE events (id int, at date NOT NULL, note text) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
`;
  const { db, project, pending } = await traced(setup, 'ALTER TABLE events ADD COLUMN kind text;\nUPDATE events SET kind = NULL WHERE false;\n');
  await db.sql.unsafe("INSERT INTO events SELECT g, DATE '2025-01-01' + g % 700, repeat('x', 40) FROM generate_series(1, 20000) g; ANALYZE events");
  await pending();
  const run = await project.run(['trace', '--json', '--big', '1MB']);
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as TraceReport;
  const parent = report.files[0]?.holds.find((hold) => hold.relation.name === 'events');
  assert.ok(parent?.size !== undefined && parent.size !== 'absent', JSON.stringify(parent));
  assert.equal(parent.size.rows, 20000);
  const partitions = ['events_2025', 'events_2026'].map((name) => report.files[0]?.holds.find((hold) => hold.relation.name === name)?.size);
  const sum = partitions.reduce((total, size) => total + (size !== undefined && size !== 'absent' ? size.bytes : Number.NaN), 0);
  assert.equal(parent.size.bytes, sum, 'the parent weighs its partitions together');
  assert.ok(report.findings.some((finding) => finding.relation === 'public.events'), JSON.stringify(report.findings));
});

test('a ledger locked by another session: the trace gives up after --lock-wait (exit 4) instead of waiting behind it', async () => {
  const { db, project, pending } = await traced('CREATE TABLE t (id int);\n', 'ALTER TABLE t ADD COLUMN c int;\n');
  await pending();
  const holder = await db.sql.reserve();
  await holder.unsafe('BEGIN');
  await holder.unsafe('LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE');
  try {
    const started = performance.now();
    const run = await project.run(['trace', '--lock-wait', '1']);
    assert.equal(run.status, 4, run.stderr);
    assert.match(run.stderr, /the ledger "?public"?\.?"?schema_migrations"? stayed locked by another session .*--lock-wait 1 s/);
    assert.ok(performance.now() - started < 30_000);
  } finally {
    await holder.unsafe('ROLLBACK');
    holder.release();
  }
});
