/** The programmatic API without the CLI: data back, one error class thrown with a stable code, nothing printed. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { inspect, promisify } from 'node:util';
import type postgres from 'postgres';
import { createMigrator, isPgshiftError, PgshiftError, type ErrorCode, type Migrator } from '../../src/index.js';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { ledgerVersions, tableExists } from '../support/inspect.js';
import { makeProject, repoRoot, type Project } from '../support/project.js';

const accounts = 'CREATE TABLE accounts (id int PRIMARY KEY);\n';
const FILES = {
  'migrations/001_accounts.sql': accounts,
  'rollbacks/001_accounts.sql': 'DROP TABLE accounts;\n',
  'migrations/002_orders.sql': 'CREATE TABLE orders (account int REFERENCES accounts);\n',
  'rollbacks/002_orders.sql': 'DROP TABLE orders;\n',
};

interface Setup {
  readonly db: TestDatabase;
  readonly sql: postgres.Sql;
  readonly project: Project;
  readonly migrator: Migrator;
}

/** A database and project of the test's own, with migrations up to version `to` applied (none by default). */
async function setUp(to?: number): Promise<Setup> {
  const db = await testDatabase(import.meta.url);
  const project = await makeProject(FILES, db.url);
  const migrator = createMigrator({ database: { url: db.url }, cwd: project.dir });
  if (to !== undefined) await migrator.up({ to });
  return { db, sql: db.sql, project, migrator };
}

/** Asserts `promise` rejects with a PgshiftError of one of `codes`, and hands the error over for more checks. */
async function rejectsWith(promise: Promise<unknown>, ...codes: ErrorCode[]): Promise<PgshiftError> {
  const error = await promise.then(
    () => assert.fail(`expected a rejection with ${codes.join(' or ')}`),
    (reason: unknown) => reason,
  );
  // One error class for every failure: callers branch on `code`, never on messages or other classes.
  assert.ok(isPgshiftError(error) && error instanceof PgshiftError, `not a PgshiftError: ${inspect(error)}`);
  assert.ok(codes.includes(error.code), `${error.code}: ${error.message}`);
  return error;
}

/** Callers log errors whole (message, cause, properties), so a password must be in none of it. */
function assertNoPassword(error: unknown, password: string): void {
  const shown = inspect(error, { depth: 10 });
  assert.ok(!shown.includes(password), shown);
}

/** Writes a file for the length of `work` and removes it after: the project is as it was for what follows. */
async function withFile<T>(project: Project, path: string, text: string, work: () => Promise<T>): Promise<T> {
  await project.write(path, text);
  try {
    return await work();
  } finally {
    await project.remove(path);
  }
}

test('up applies the pending migrations and returns them as data', async () => {
  const { migrator, sql } = await setUp();
  const { migrations } = await migrator.up();
  assert.deepEqual(
    migrations.map((m) => [m.direction, m.version, m.name, m.path]),
    [
      ['up', 1, 'accounts', 'migrations/001_accounts.sql'],
      ['up', 2, 'orders', 'migrations/002_orders.sql'],
    ],
  );
  for (const m of migrations) assert.ok(Number.isInteger(m.durationMs) && m.durationMs >= 0);
  assert.deepEqual(await ledgerVersions(sql), [1, 2]);
  assert.equal(await tableExists(sql, 'orders'), true);
  assert.deepEqual((await migrator.up()).migrations, [], 'a second up has nothing to do');
});

test('status returns one entry per version with its state, ledger data and rollback', async () => {
  const { project, migrator } = await setUp(2);
  await withFile(project, 'migrations/003_pending.sql', 'SELECT 1;\n', async () => {
    const { entries, problems } = await migrator.status();
    assert.deepEqual(problems, []);
    assert.deepEqual(
      entries.map((e) => [e.version, e.name, e.state, e.hasRollback]),
      [
        [1, 'accounts', 'applied', true],
        [2, 'orders', 'applied', true],
        [3, 'pending', 'pending', false],
      ],
    );
    const [first] = entries;
    assert.ok(first?.appliedAt instanceof Date);
    assert.ok(Number.isInteger(first.executionMs));
    assert.equal(first.checksum, createHash('sha256').update(accounts).digest('hex'));
    assert.equal(entries[2]?.appliedAt, undefined);
  });
});

test('validate returns an empty array when all is well and the problems as data otherwise, without throwing', async () => {
  const { project, migrator } = await setUp(2);
  assert.deepEqual(await migrator.validate(), []);
  await project.write('migrations/001_accounts.sql', 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n');
  try {
    await withFile(project, 'migrations/oops.sql', 'SELECT 1;\n', async () => {
      const problems = await migrator.validate();
      assert.deepEqual(
        problems.map((p) => [p.code, p.file]).sort(),
        [
          ['BAD_NAME', 'migrations/oops.sql'],
          ['CHECKSUM_MISMATCH', 'migrations/001_accounts.sql'],
        ],
      );
      for (const p of problems) assert.ok(p.message.length > 0 && p.hint.length > 0);
      // up stops for the same problems, as one error listing them all.
      const error = await rejectsWith(migrator.up(), 'VALIDATION_FAILED');
      assert.deepEqual(error.problems.map((p) => p.code).sort(), ['BAD_NAME', 'CHECKSUM_MISMATCH']);
    });
  } finally {
    await project.write('migrations/001_accounts.sql', accounts);
  }
  assert.deepEqual(await migrator.validate(), []);
});

test('a failing migration rejects with MIGRATION_FAILED carrying file, line, column and SQLSTATE', async () => {
  const { project, migrator, sql } = await setUp(2);
  await withFile(project, 'migrations/003_bad.sql', 'CREATE TABLE half (id int);\nSELECT * FROM\n  nowhere;\n', async () => {
    const error = await rejectsWith(migrator.up(), 'MIGRATION_FAILED');
    assert.equal(error.message, 'migrations/003_bad.sql:3:3: relation "nowhere" does not exist');
    assert.deepEqual(
      [error.sql?.file, error.sql?.line, error.sql?.column, error.sql?.sqlState],
      ['migrations/003_bad.sql', 3, 3, '42P01'],
    );
  });
  assert.equal(await tableExists(sql, 'half'), false);
  assert.deepEqual(await ledgerVersions(sql), [1, 2]);
});

test('down returns the reverted migrations as data', async () => {
  const { migrator, sql } = await setUp(2);
  const { migrations } = await migrator.down();
  assert.deepEqual(migrations.map((m) => [m.direction, m.version, m.name, m.path]), [['down', 2, 'orders', 'rollbacks/002_orders.sql']]);
  assert.deepEqual(await ledgerVersions(sql), [1]);
  assert.equal(await tableExists(sql, 'orders'), false);
});

test('plan and verify return what they would do as data and change nothing', async () => {
  const { migrator, sql } = await setUp(1);
  const plan = await migrator.plan({ direction: 'up' });
  assert.deepEqual(plan.steps, [{ version: 2, name: 'orders', path: 'migrations/002_orders.sql', transaction: true, text: FILES['migrations/002_orders.sql'] }]);
  assert.match(plan.sql, /CREATE TABLE orders/);
  const results = await migrator.verify();
  assert.deepEqual(results.map((r) => [r.version, r.outcome]), [[2, 'pass']]);
  assert.deepEqual(await ledgerVersions(sql), [1]);
  assert.equal(await tableExists(sql, 'orders'), false);
});

/**
 * Runs `code` with a migrator in a process of its own and returns everything that process wrote. A child
 * process, because node's test runner writes its own reports to this process's stdout while a test runs.
 */
async function printedBy({ db, project }: Setup, code: string): Promise<{ stdout: string; stderr: string }> {
  const script = `import { createMigrator } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'src', 'index.ts')).href)};
const migrator = createMigrator({ database: { url: process.env.URL }, cwd: process.env.PROJECT });
${code}`;
  return promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, URL: db.url, PROJECT: project.dir },
  });
}

test('nothing is printed on stdout or stderr, by a run that applies, reverts, reports or fails', async () => {
  const setup = await setUp(1);
  const { project, sql } = setup;
  const printed = await withFile(project, 'migrations/003_bad.sql', 'SELECT 1/0;\n', () =>
    printedBy(setup, `
await migrator.status();
await migrator.validate();
await migrator.down();
await migrator.up({ to: 2 });
const failure = await migrator.up().catch((error) => error);
await migrator.status();
process.stdout.write('probe done: ' + failure.code);`),
  );
  assert.deepEqual(printed, { stdout: 'probe done: MIGRATION_FAILED', stderr: '' });
  assert.deepEqual(await ledgerVersions(sql), [1, 2], 'the probe really ran');
});

test('a connection failure rejects with CONNECTION_FAILED, and the error does not carry the password', async () => {
  const project = await makeProject(FILES);
  const unreachable = createMigrator({ database: { url: 'postgres://postgres:s3cret@127.0.0.1:1/x' }, cwd: project.dir });
  assertNoPassword(await rejectsWith(unreachable.status(), 'CONNECTION_FAILED'), 's3cret');
});

test('a malformed database URL rejects as a PgshiftError, and the error does not carry the password', async () => {
  const project = await makeProject(FILES);
  const malformed = createMigrator({ database: { url: 'postgres://postgres:s3cret@[::1:5432/x' }, cwd: project.dir });
  assertNoPassword(await rejectsWith(malformed.status(), 'USAGE', 'CONFIG_INVALID'), 's3cret');
});

test('an AbortSignal cancels the running statement, rolls it back and rejects with INTERRUPTED', async () => {
  const { project, migrator, sql } = await setUp(2);
  await withFile(project, 'migrations/003_slow.sql', 'CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 700);
    const started = performance.now();
    await rejectsWith(migrator.up({ signal: controller.signal }), 'INTERRUPTED');
    assert.ok(performance.now() - started < 10_000, 'the statement was cancelled, not waited for');
    const { entries } = await migrator.status();
    assert.equal(entries.find((e) => e.version === 3)?.state, 'pending');
  });
  assert.equal(await tableExists(sql, 'slow'), false);
});

test('drift returns the report --json prints, takes an AbortSignal, and throws VALIDATION_FAILED for a changed applied file', async () => {
  const { sql, project, migrator } = await setUp(2);
  assert.deepEqual(await migrator.drift(), { drift: false, replayed: 2, scratch: 'server', differences: [], cosmetic: [] });
  await sql.unsafe('ALTER TABLE orders ADD COLUMN note text');
  const report = await migrator.drift();
  assert.equal(report.drift, true);
  assert.deepEqual(
    report.differences.map(({ object, change, message, sql: repair }) => ({ object, change, message, repair })),
    [{ object: 'column public.orders.note', change: 'extra', message: 'column public.orders.note: in the database, not in the migrations', repair: null }],
  );
  const cli = await project.run(['drift', '--json']);
  assert.equal(cli.status, 3, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout), JSON.parse(JSON.stringify(report)));
  const aborted = new AbortController();
  aborted.abort();
  await rejectsWith(migrator.drift({ signal: aborted.signal }), 'INTERRUPTED');
  await project.write('migrations/001_accounts.sql', `${accounts}-- edited\n`);
  const changed = await rejectsWith(migrator.drift(), 'VALIDATION_FAILED');
  assert.deepEqual(changed.problems?.map((problem) => [problem.code, problem.file]), [['CHECKSUM_MISMATCH', 'migrations/001_accounts.sql']]);
});

test("isPgshiftError knows the errors of the other build: a process may load both the ES module and the CommonJS one", async () => {
  const { createRequire } = await import('node:module');
  const commonJs = createRequire(import.meta.url)(join(repoRoot, 'dist', 'index.cjs')) as typeof import('../../src/index.js');
  const esModule = (await import(pathToFileURL(join(repoRoot, 'dist', 'index.js')).href)) as typeof import('../../src/index.js');
  assert.notEqual(commonJs.PgshiftError, esModule.PgshiftError);
  assert.ok(esModule.isPgshiftError(new commonJs.PgshiftError('USAGE', 'from the CommonJS build')));
  assert.ok(commonJs.isPgshiftError(new esModule.PgshiftError('USAGE', 'from the ES module')));
  assert.ok(!esModule.isPgshiftError(new Error('another error')));
});
