/** The workflow commands: new, baseline, redo, and the edges of targeted up and down. */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { ledgerVersions } from '../support/inspect.js';
import { copyOfRepository, errorLine, logLines, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

test('new writes the next migration and rollback from the template, keeping the width in use', async () => {
  const project = await makeProject({ 'migrations/0007_first.sql': 'SELECT 1;\n' });
  const run = await project.run(['new', 'add_orders'], { env: { CI: 'true' } });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'migrations/0008_add_orders.sql\nrollbacks/0008_add_orders.sql\n');
  const migration = await project.read('migrations/0008_add_orders.sql');
  assert.match(migration, /^-- Migration: add orders\n-- Purpose: /);
  assert.match(migration, /IF NOT EXISTS/);
  assert.match(migration, /-- Create indexes \(one for each new foreign key\)/);
  assert.match(migration, /COMMENT ON COLUMN/);
  assert.match(await project.read('rollbacks/0008_add_orders.sql'), /pgshift verify --migration migrations\/0008_add_orders\.sql/);

  const again = await project.run(['new', 'add_orders']);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /0008_add_orders\.sql already has that name/);
  const bad = await project.run(['new', 'add orders']);
  assert.equal(bad.status, 2);
  assert.deepEqual((await readdir(project.path('migrations'))).sort(), ['0007_first.sql', '0008_add_orders.sql']);
});

test('new in an empty project starts at 001', async () => {
  const project = await makeProject();
  const run = await project.run(['new', 'init']);
  assert.equal(run.stdout, 'migrations/001_init.sql\nrollbacks/001_init.sql\n');
});

test("baseline records migrations as applied without running them, for a database changed by hand", async () => {
  const project = await copyOfRepository(db.url);
  // The document's old script already ran 001's change by hand: a table that the migration would also create.
  await sql`CREATE TABLE user_sessions (id text PRIMARY KEY, user_id text NOT NULL, title text, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`;
  const run = await project.run(['baseline', '--version', '1', '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual((JSON.parse(run.stdout) as Array<{ version: number }>).map((r) => r.version), [0, 1]);
  assert.deepEqual(await ledgerVersions(sql), [0, 1]);
  const [{ table }] = await sql<[{ table: string | null }]>`SELECT to_regclass('session_permissions')::text AS table`;
  assert.equal(table, null, 'baseline ran nothing');
  const status = await project.run(['status', '--json']);
  assert.deepEqual((JSON.parse(status.stdout) as Array<{ state: string }>).map((e) => e.state), ['applied', 'applied']);

  const twice = await project.run(['baseline', '--version', '1']);
  assert.equal(twice.status, 2);
  assert.match(String(errorLine(twice.stderr)?.['msg']), /the ledger already has 2 row\(s\)/);
  await sql`DROP TABLE schema_migrations, user_sessions`;
});

test('baseline of an unknown version is refused', async () => {
  const project = await copyOfRepository(db.url);
  const run = await project.run(['baseline', '--version', '9']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /no migration has version 9/);
});

test('targeted up and down: --to, --migration, --steps, --all, and their edge cases', async () => {
  const project = await makeProject(
    {
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
      'migrations/003_c.sql': 'CREATE TABLE c (id int);\n',
      'rollbacks/001_a.sql': 'DROP TABLE a;\n',
      'rollbacks/002_b.sql': 'DROP TABLE b;\n',
      'rollbacks/003_c.sql': 'DROP TABLE c;\n',
    },
    db.url,
  );
  assert.equal((await project.run(['up', '--to', '1'])).status, 0);
  assert.deepEqual(await ledgerVersions(sql), [1]);
  const unknown = await project.run(['up', '--to', '7']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--to 7: no migration has version 7/);

  // The document's habit: one named file. Applying it out of order is allowed when asked for by name.
  const one = await project.run(['up', '--migration', 'migrations/003_c.sql']);
  assert.equal(one.status, 0, one.stderr);
  assert.deepEqual(await ledgerVersions(sql), [1, 3]);
  const same = await project.run(['up', '--migration', 'migrations/003_c.sql']);
  assert.equal(same.status, 0);
  assert.deepEqual(logLines(same.stderr).map((l) => String(l['msg']).replace(/^connected to .*/, 'connected')), ['connected', 'nothing to apply']);
  const outOfOrder = await project.run(['up']);
  assert.equal(outOfOrder.status, 3, 'a plain up refuses the pending file below the highest applied version');

  // Applied after 3, so 2 is the newest-applied migration: the one redo redoes.
  assert.equal((await project.run(['up', '--migration', 'migrations/002_b.sql'])).status, 0);
  const redo = await project.run(['redo', '--json']);
  assert.equal(redo.status, 0, redo.stderr);
  assert.deepEqual(
    (JSON.parse(redo.stdout) as Array<{ direction: string; version: number }>).map((r) => [r.direction, r.version]),
    [
      ['down', 2],
      ['up', 2],
    ],
  );
  assert.equal((await project.run(['down', '--steps', '2'])).status, 0);
  assert.deepEqual(await ledgerVersions(sql), [1]);
  const badTo = await project.run(['down', '--to', '2']);
  assert.equal(badTo.status, 2);
  assert.match(badTo.stderr, /version 2 is not applied/);
  assert.equal((await project.run(['down', '--all'])).status, 0);
  assert.deepEqual(await ledgerVersions(sql), []);
  const nothing = await project.run(['down']);
  assert.equal(nothing.status, 0);
  assert.deepEqual(logLines(nothing.stderr).map((l) => String(l['msg']).replace(/^connected to .*/, 'connected')), ['connected', 'nothing to revert']);
  const redoNothing = await project.run(['redo']);
  assert.equal(redoNothing.status, 2);
  await sql`DROP TABLE schema_migrations`;
});
