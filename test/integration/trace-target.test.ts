/**
 * What a trace does to the target: nothing but catalog reads, on a session opened read-only, and no lock
 * on its tables (it finishes while another session holds ACCESS EXCLUSIVE on the table it weighs). Checked
 * on the wire by a proxy that records every connection's startup parameters and SQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import type { TraceReport } from '../../src/core/trace-types.js';
import { testDatabase } from '../support/database.js';
import { makeProject } from '../support/project.js';
import { startProxy, type ProxiedConnection } from '../support/proxy.js';

const db = await testDatabase(import.meta.url);
const proxy = await startProxy(new URL(db.url));
const viaProxy = new URL(db.url);
viaProxy.hostname = '127.0.0.1';
viaProxy.port = String(proxy.port);

/** A read: what a session that may not write can send (postgres.js' own startup queries included). */
const READ = /^\s*(SELECT|WITH|SHOW|SET|RESET|BEGIN|COMMIT|ROLLBACK|DISCARD)\b/i;
/** The one thing a trace writes on the target's server: its scratch database, never the target database itself. */
const SCRATCH = /^\s*(CREATE DATABASE|DROP DATABASE IF EXISTS) "pgshift_scratch_\d+_\d+_[0-9a-f]+"( WITH \(FORCE\))?\s*$/;

test('the target sees only reads on a read-only session while its table is locked ACCESS EXCLUSIVE by someone else', async () => {
  const project = await makeProject({ 'migrations/001_items.sql': 'CREATE TABLE items (id int PRIMARY KEY, label text);\n' }, viaProxy.toString());
  const up = await project.run(['up']);
  assert.equal(up.status, 0, up.stderr);
  await db.sql.unsafe("INSERT INTO items SELECT g, 'label' FROM generate_series(1, 5000) g; ANALYZE items");
  await project.write('migrations/002_label.sql', 'ALTER TABLE items ALTER COLUMN label SET NOT NULL;\n');

  // Another session holds the strongest lock there is on the table the trace weighs, for the whole trace.
  const holder = postgres(db.url, { max: 1, onnotice: () => undefined });
  const reserved = await holder.reserve();
  await reserved.unsafe('BEGIN');
  await reserved.unsafe('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
  proxy.reset();
  try {
    const run = await project.run(['trace', '--json', '--big', '0', '--lock-wait', '5']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as TraceReport;
    assert.deepEqual(report.findings.map((finding) => [finding.rule, finding.relation]), [['set-not-null', 'public.items']]);
    const items = report.files[0]?.holds.find((hold) => hold.relation.name === 'items');
    assert.ok(items?.size !== undefined && items.size !== 'absent' && items.size.rows === 5000, JSON.stringify(items));
  } finally {
    await reserved.unsafe('ROLLBACK');
    reserved.release();
    await holder.end();
  }

  const target = proxy.connections.filter((connection) => connection.parameters['database'] === db.name);
  assert.ok(target.length > 0, 'the trace reached the target through the proxy');
  const readOnly = target.filter((connection) => connection.parameters['default_transaction_read_only'] === 'on');
  assert.equal(readOnly.length, 1, 'one read-only session on the target');
  const sizes = (connection: ProxiedConnection): boolean => connection.sql.some((sql) => /relpages/.test(sql));
  assert.ok(readOnly.some(sizes), 'sizes are read on the read-only session');
  assert.ok(!target.some((connection) => connection.parameters['default_transaction_read_only'] !== 'on' && sizes(connection)));
  for (const connection of target) {
    const other = connection.sql.filter((sql) => !READ.test(sql) && !SCRATCH.test(sql));
    assert.deepEqual(other, [], 'nothing but reads and the scratch database reach the target');
    if (connection.parameters['default_transaction_read_only'] === 'on') assert.deepEqual(connection.sql.filter((sql) => SCRATCH.test(sql)), []);
    for (const sql of connection.sql) assert.doesNotMatch(sql, /pg_(total_)?relation_size|pg_table_size|pg_indexes_size/, 'no size function, which would take a lock');
  }
  await proxy.close();
});
