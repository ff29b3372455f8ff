/** The migration lock: concurrent runs apply each migration once, and a held lock times out with exit 4. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { resolveLedgerTable } from '../../src/db/ledger.js';
import { lockKey } from '../../src/db/lock.js';
import { testDatabase } from '../support/database.js';
import { logLines, makeProject } from '../support/project.js';

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

    const started = Date.now();
    const run = await project.run(['up', '--lock-wait', '1']);
    assert.equal(run.status, 4, run.stderr);
    assert.ok(Date.now() - started >= 1000, 'it waited the full --lock-wait before giving up');
    const error = logLines(run.stderr).find((line) => line['level'] === 50);
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
