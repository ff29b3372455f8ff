/**
 * Each file's transaction is sent behind the one before it, before that one has finished (pipelined): a file
 * after one that was not applied (or reverted) must run nothing, whether the one before failed inside its
 * transaction or at its COMMIT, which ends the transaction instead of leaving it aborted; and the error
 * reported is the one of the file that failed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { ledgerVersions, tableExists } from '../support/inspect.js';
import { errorLine, makeProject } from '../support/project.js';
import { startProxy } from '../support/proxy.js';

// A foreign key checked at COMMIT: a row without its parent passes every statement and fails the COMMIT.
const BASE = {
  'migrations/001_base.sql': 'CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n',
  'rollbacks/001_base.sql': 'DROP TABLE child;\nDROP TABLE parent;\n',
};
const AFTER = {
  'migrations/003_after.sql': 'CREATE TABLE after_it (id int);\n',
  'rollbacks/003_after.sql': 'DROP TABLE after_it;\n',
  'migrations/004_later.sql': 'CREATE TABLE later (id int);\n',
  'rollbacks/004_later.sql': 'DROP TABLE later;\n',
};

const FAILS_AT_COMMIT = 'CREATE TABLE orphan (id int);\nINSERT INTO child VALUES (42);\n';

const FAILURES: ReadonlyArray<readonly [string, string, RegExp]> = [
  ['at its COMMIT (a deferred foreign key)', FAILS_AT_COMMIT, /child.*violates foreign key constraint/],
  ['inside its transaction', 'CREATE TABLE orphan (id int);\nSELECT 1 / 0;\n', /division by zero/],
];

for (const [how, text, message] of FAILURES) {
  test(`up: a file that fails ${how} is the error reported, and the files sent behind it ran nothing`, async () => {
    const db = await testDatabase(import.meta.url);
    const project = await makeProject({ ...BASE, 'migrations/002_fails.sql': text, 'rollbacks/002_fails.sql': 'DROP TABLE orphan;\n', ...AFTER }, db.url);
    const run = await project.run(['up']);
    assert.equal(run.status, 1, run.stderr);
    const error = errorLine(run.stderr);
    assert.equal(error['code'], 'MIGRATION_FAILED');
    assert.match(String(error['msg']), /^migrations\/002_fails\.sql/);
    assert.match(String(error['msg']), message);
    assert.doesNotMatch(run.stderr, /did not run/, 'the check of the file behind it is not what is reported');
    assert.deepEqual(await ledgerVersions(db.sql), [1]);
    for (const table of ['orphan', 'after_it', 'later']) assert.equal(await tableExists(db.sql, table), false, `${table} does not exist`);

    await project.write('migrations/002_fails.sql', 'CREATE TABLE orphan (id int);\n');
    const again = await project.run(['up']);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(await ledgerVersions(db.sql), [1, 2, 3, 4]);
  });
}

test('down: a rollback that fails at its COMMIT is the error reported, and the rollbacks sent behind it ran nothing', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ ...BASE, 'migrations/002_fine.sql': 'CREATE TABLE fine (id int);\n', 'rollbacks/002_fine.sql': 'DROP TABLE fine;\n', ...AFTER }, db.url);
  const applied = await project.run(['up']);
  assert.equal(applied.status, 0, applied.stderr);
  await project.write('rollbacks/003_after.sql', 'DROP TABLE after_it;\nINSERT INTO child VALUES (42);\n');
  const run = await project.run(['down', '--all']);
  assert.equal(run.status, 1, run.stderr);
  const error = errorLine(run.stderr);
  assert.equal(error['code'], 'ROLLBACK_FAILED');
  assert.match(String(error['msg']), /^rollbacks\/003_after\.sql.*violates foreign key constraint/);
  assert.deepEqual(await ledgerVersions(db.sql), [1, 2, 3], '004 was reverted, and nothing after the failed rollback');
  for (const table of ['after_it', 'fine', 'parent']) assert.equal(await tableExists(db.sql, table), true, `${table} is still there`);
  assert.equal(await tableExists(db.sql, 'later'), false);
});

test('up --single-transaction: an error at COMMIT names the transaction of all its files, not its first file', async () => {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject({ ...BASE, 'migrations/002_fails.sql': FAILS_AT_COMMIT, 'rollbacks/002_fails.sql': 'DROP TABLE orphan;\n', ...AFTER }, db.url);
  const run = await project.run(['up', '--single-transaction']);
  assert.equal(run.status, 1, run.stderr);
  const error = errorLine(run.stderr);
  assert.equal(error['code'], 'MIGRATION_FAILED');
  assert.match(String(error['msg']), /^the 4 files of one transaction \(migrations\/001_base\.sql to migrations\/004_later\.sql\): .*violates foreign key constraint/);
  assert.match(String(error['hint']), /none of its files was applied .* run up without --single-transaction to have the file named/);
  assert.deepEqual(await ledgerVersions(db.sql), []);

  // Without --single-transaction, the file is named.
  const each = await project.run(['up']);
  assert.equal(each.status, 1, each.stderr);
  assert.match(String(errorLine(each.stderr)['msg']), /^migrations\/002_fails\.sql: /);
});

// The second file is sent in the same turn as the first, so it must reach the proxy before the first is
// answered. The proxy holds each message 50 ms before passing it on: without that, it may handle the
// server's answer before the client's next message even when that came first (two sockets, one event
// loop), and a loaded machine made the test fail so. Later files are sent as the one two ahead of them is
// answered, so whether the one just ahead is still running then depends on the server's speed: not asserted.
test('on the wire, the second file reaches the server before the first is answered; down too', async () => {
  const db = await testDatabase(import.meta.url);
  const proxy = await startProxy(new URL(db.url), 50);
  try {
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const files = Object.fromEntries(
      [1, 2, 3, 4, 5, 6].flatMap((version) => [
        [`migrations/00${version}_m.sql`, `CREATE TABLE m_${version} (id int);\n`],
        [`rollbacks/00${version}_m.sql`, `DROP TABLE m_${version};\n`],
      ]),
    );
    const project = await makeProject(files, viaProxy.toString());
    for (const [args, marker] of [[['up'], 'INSERT INTO "public"."schema_migrations"'], [['down', '--all'], 'DELETE FROM "public"."schema_migrations"']] as const) {
      proxy.reset();
      const run = await project.run(args);
      assert.equal(run.status, 0, run.stderr);
      const session = proxy.connections.find((connection) => connection.sql.some((text) => text.includes(marker)));
      assert.ok(session, `the ${args[0]} session went through the proxy`);
      const ahead = session.sql.flatMap((text, index) => (text.includes(marker) ? [session.queriesAhead[index]] : []));
      assert.equal(ahead.length, 6);
      assert.equal(ahead[1], 1, `${args[0]}: queries unanswered when each file's script arrived: ${ahead.join(', ')}`);
    }
  } finally {
    await proxy.close();
  }
});
