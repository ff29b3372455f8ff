/** The programmatic API, without the CLI: data back, one error class thrown, nothing printed. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createMigrator, isPgshiftError, PgshiftError, type Migrator } from '../../src/index.js';
import { testDatabase } from '../support/database.js';
import { makeProject, repoRoot } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const project = await makeProject(
  {
    'migrations/001_accounts.sql': 'CREATE TABLE accounts (id int PRIMARY KEY);\n',
    'rollbacks/001_accounts.sql': 'DROP TABLE accounts;\n',
    'migrations/002_slow.sql': 'SELECT pg_sleep(30);\n',
  },
  db.url,
);
const migrator: Migrator = createMigrator({ database: { url: db.url }, cwd: project.dir });

/**
 * Runs the API in a process of its own, whose stdout then holds only what the script itself prints: the
 * test runner uses this process's stdout for its own protocol.
 */
async function printedByApi(code: string): Promise<string> {
  // The built package, as a user imports it (npm test builds it first).
  const script = `import { createMigrator } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'index.js')).href)};
const migrator = createMigrator({ database: { url: process.env.URL }, cwd: process.cwd() });
${code}`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: project.dir,
    env: { ...process.env, URL: db.url },
  });
  return stdout;
}

test('plan, up, down and status return data and print nothing', async () => {
  assert.equal(await printedByApi("await migrator.plan({ direction: 'up' }); await migrator.status(); process.stdout.write('done');"), 'done');
  const plan = await migrator.plan({ direction: 'up', to: 1 });
  assert.deepEqual(plan.steps, [{ version: 1, name: 'accounts', path: 'migrations/001_accounts.sql', transaction: true }]);
  assert.match(plan.sql, /CREATE TABLE accounts/);

  assert.equal(await printedByApi("await migrator.up({ to: 1 }); process.stdout.write('done');"), 'done');
  const { entries: afterUp } = await migrator.status();
  assert.equal(afterUp[0]?.state, 'applied');
  assert.equal((await migrator.down()).migrations[0]?.version, 1);
  const up = await migrator.up({ to: 1 });
  assert.deepEqual(
    up.migrations.map((m) => [m.direction, m.version, m.name, m.path]),
    [['up', 1, 'accounts', 'migrations/001_accounts.sql']],
  );
  assert.ok(up.migrations[0] && up.migrations[0].durationMs >= 0);

  const { entries } = await migrator.status();
  assert.deepEqual(entries.map((e) => [e.version, e.state]), [
    [1, 'applied'],
    [2, 'pending'],
  ]);
  assert.ok(entries[0]?.appliedAt instanceof Date);
});

test('validate and verify return findings as data', async () => {
  assert.deepEqual(await migrator.validate(), []);
  const results = await migrator.verify({ migration: 'migrations/001_accounts.sql' });
  assert.deepEqual(results.map((r) => [r.version, r.outcome]), [[1, 'pass']]);
});

test('a failure is thrown as PgshiftError with a stable code and the SQL location', async () => {
  await project.write('migrations/003_bad.sql', 'SELECT * FROM\n  nowhere;\n');
  const failing = createMigrator({ database: { url: db.url }, cwd: project.dir, migrationsDir: 'migrations' });
  await assert.rejects(failing.up({ migration: 'migrations/003_bad.sql' }), (error: unknown) => {
    assert.ok(isPgshiftError(error) && error instanceof PgshiftError);
    assert.equal(error.code, 'MIGRATION_FAILED');
    assert.deepEqual([error.sql?.file, error.sql?.line, error.sql?.column, error.sql?.sqlState], ['migrations/003_bad.sql', 2, 3, '42P01']);
    return true;
  });
  await project.remove('migrations/003_bad.sql');
});

test('validation problems are thrown with the list', async () => {
  await project.write('migrations/oops.sql', 'SELECT 1;\n');
  await assert.rejects(migrator.up(), (error: unknown) => {
    assert.ok(isPgshiftError(error));
    assert.equal(error.code, 'BAD_NAME');
    assert.deepEqual(error.problems.map((p) => p.code), ['BAD_NAME']);
    return true;
  });
  await project.remove('migrations/oops.sql');
});

test('an AbortSignal cancels the running statement and rejects with INTERRUPTED', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 700);
  const started = Date.now();
  await assert.rejects(migrator.up({ signal: controller.signal }), (error: unknown) => isPgshiftError(error) && error.code === 'INTERRUPTED');
  assert.ok(Date.now() - started < 10_000);
  const { entries } = await migrator.status();
  assert.equal(entries.find((e) => e.version === 2)?.state, 'pending');
});
