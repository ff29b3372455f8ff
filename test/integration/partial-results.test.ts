/**
 * A run that fails partway says what it completed before the failure: the thrown PgshiftError carries the
 * migrations applied (or reverted) and recorded, so a caller need not read the ledger to find out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMigrator, isPgshiftError, type PgshiftError } from '../../src/index.js';
import { testDatabase } from '../support/database.js';
import { ledgerVersions } from '../support/inspect.js';
import { errorLine, logLines, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);

async function failure(promise: Promise<unknown>): Promise<PgshiftError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (reason: unknown) => reason,
  );
  assert.ok(isPgshiftError(error), String(error));
  return error;
}

test('up that fails at its third migration rejects carrying the two it applied; down and redo likewise', async () => {
  const project = await makeProject(
    {
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      'rollbacks/001_a.sql': 'DROP TABLE a;\n',
      'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
      'rollbacks/002_b.sql': 'DROP TABLE nowhere;\n',
      'migrations/003_c.sql': 'SELECT * FROM nowhere;\n',
      'rollbacks/003_c.sql': 'SELECT 1;\n',
    },
    db.url,
  );
  const migrator = createMigrator({ database: { url: db.url }, cwd: project.dir });
  const up = await failure(migrator.up());
  assert.equal(up.code, 'MIGRATION_FAILED');
  assert.deepEqual(
    up.applied.map((m) => [m.direction, m.version, m.path]),
    [
      ['up', 1, 'migrations/001_a.sql'],
      ['up', 2, 'migrations/002_b.sql'],
    ],
  );
  assert.deepEqual(await ledgerVersions(db.sql), [1, 2]);

  // One transaction for all: nothing is applied when it fails.
  await project.remove('migrations/003_c.sql');
  await project.write('migrations/003_c.sql', 'SELECT 1;\n');
  await project.write('migrations/004_d.sql', 'SELECT * FROM nowhere;\n');
  await project.write('rollbacks/004_d.sql', 'SELECT 1;\n');
  assert.deepEqual((await failure(migrator.up({ singleTransaction: true }))).applied, []);
  await project.remove('migrations/004_d.sql');
  await project.remove('rollbacks/004_d.sql');
  await migrator.up();

  // 003 reverts, then 002's rollback fails.
  const down = await failure(migrator.down({ all: true }));
  assert.equal(down.code, 'ROLLBACK_FAILED');
  assert.deepEqual(
    down.applied.map((m) => [m.direction, m.version]),
    [['down', 3]],
  );
  assert.deepEqual(await ledgerVersions(db.sql), [1, 2]);

  // redo: the rollback leaves a table in the way, so applying 002 again fails after its revert.
  await project.write('rollbacks/002_b.sql', 'DROP TABLE b;\nCREATE TABLE b (x int);\n');
  const redo = await failure(migrator.redo());
  assert.equal(redo.code, 'MIGRATION_FAILED');
  assert.deepEqual(
    redo.applied.map((m) => [m.direction, m.version]),
    [['down', 2]],
  );
  assert.deepEqual(await ledgerVersions(db.sql), [1]);
});

test('the CLI reports a partial up as before: the applied files logged, no JSON answer, the error line as it was', async () => {
  const cli = await testDatabase(`${import.meta.url}-cli`);
  const project = await makeProject(
    {
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
      'migrations/003_c.sql': 'SELECT * FROM nowhere;\n',
    },
    cli.url,
  );
  const run = await project.run(['up', '--json']);
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stdout, '');
  const applied = logLines(run.stderr).filter((line) => String(line['msg']).startsWith('applied '));
  assert.deepEqual(applied.map((line) => line['version']), [1, 2]);
  const error = errorLine(run.stderr);
  assert.equal(error['code'], 'MIGRATION_FAILED');
  assert.equal(error['applied'], undefined);
});
