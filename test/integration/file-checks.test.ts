/**
 * What validation finds in the files themselves before anything is sent: entries that cannot be read, a NUL
 * byte, statements PostgreSQL's parser refuses, and a --migration outside the migrations folder. Each is
 * exit 3 naming the file, never a Node error, and nothing runs.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { ledgerVersions, tableExists } from '../support/inspect.js';
import { errorLine, logLines, makeProject, type Project, type CliResult } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

async function fresh(files: Readonly<Record<string, string>>): Promise<Project> {
  await sql.unsafe('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  return makeProject(files, db.url);
}

/** Every message of a run's error, its problems included, one per line; validate prints its list on stdout. */
function messages(run: CliResult): string {
  if (!logLines(run.stderr).some((line) => line['level'] === 50)) return run.stdout;
  const error = errorLine(run.stderr);
  const problems = (error['problems'] ?? []) as Array<{ message: string; hint: string }>;
  return [error['msg'], error['hint'], ...problems.flatMap((problem) => [problem.message, problem.hint])].join('\n');
}

/** Exit 3 with a pgshift error matching every pattern, no stack trace or Node error code, and an untouched ledger. */
async function refused(project: Project, args: readonly string[], ...patterns: RegExp[]): Promise<CliResult> {
  const before = await ledgerVersions(sql);
  const run = await project.run(args);
  assert.equal(run.status, 3, `pgshift ${args.join(' ')}: ${run.stderr}`);
  for (const pattern of patterns) assert.match(messages(run), pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at |ENOENT|EISDIR|ENOTDIR|spawn/, 'no Node error leaks out');
  assert.deepEqual(await ledgerVersions(sql), before, 'the ledger is unchanged');
  return run;
}

const GOOD = { 'migrations/001_good.sql': 'CREATE TABLE good_t (id int);\n' };

test('a dangling link and a folder named like a migration are exit 3 naming each path, with nothing applied', async () => {
  const project = await fresh(GOOD);
  await symlink(project.path('nowhere.sql'), project.path('migrations/002_link.sql'));
  await mkdir(project.path('migrations/003_d.sql'));
  await symlink(project.path('nowhere.sql'), project.path('rollbacks/001_good.sql'));
  const patterns = [
    /migrations\/002_link\.sql cannot be read: it is a link to a file that does not exist/,
    /migrations\/003_d\.sql is a folder, not a file/,
    /rollbacks\/001_good\.sql cannot be read: it is a link/,
  ];
  for (const args of [['up'], ['validate'], ['up', '--dry-run'], ['down']]) await refused(project, args, ...patterns);
  assert.equal(await tableExists(sql, 'good_t'), false);
});

test('a migrations path that is a regular file is exit 3 naming it, for every command that reads it', async () => {
  const project = await fresh({});
  await rm(project.path('migrations'), { recursive: true });
  await writeFile(project.path('migrations'), 'not a folder\n');
  for (const args of [['up'], ['validate'], ['status'], ['down'], ['baseline', '--version', '1'], ['new', 'add_orders']]) {
    await refused(project, args, /the migrations folder migrations is not a folder/);
  }
  const missing = await makeProject({}, db.url);
  await rm(missing.path('migrations'), { recursive: true });
  await refused(missing, ['up'], /the migrations folder migrations does not exist[^]*--migrations-dir/);
});

test('a NUL byte is refused by validation with its line and column, before anything is sent', async () => {
  const project = await fresh({ ...GOOD, 'migrations/002_nul.sql': 'SELECT 1;\nSELECT \0 2;\n' });
  await refused(project, ['validate'], /migrations\/002_nul\.sql:2:8: a NUL byte/);
  await refused(project, ['up'], /migrations\/002_nul\.sql:2:8: a NUL byte/);
  await refused(project, ['up', '--dry-run'], /002_nul\.sql:2:8/);
  assert.equal(await tableExists(sql, 'good_t'), false, 'the file before it did not run either');
});

test('validate parses every pending migration and every rollback with the real parser', async () => {
  const project = await fresh({
    ...GOOD,
    'rollbacks/001_good.sql': 'DROP TABLE IF EXISTS good_t;\nDROP TABL oops;\n',
    'migrations/002_bad.sql': "CREATE TABLE bad_t (id int);\nINSERT INTO bad_t VALUES (1)\n  WHERE;\n",
  });
  const run = await refused(project, ['validate'], /migrations\/002_bad\.sql:3:3: syntax error at or near "WHERE"/, /rollbacks\/001_good\.sql:2:6: syntax error at or near "TABL"/);
  assert.match(run.stdout, /pgshift:allow parse-error/, 'the hint names the way out for newer syntax');
});

test('up, up --no-lint and up --dry-run refuse a file that does not parse, running nothing', async () => {
  const project = await fresh({ ...GOOD, 'migrations/002_bad.sql': 'CREATE TABLE bad_t (id int);\nSELEC 2;\n' });
  for (const args of [['up'], ['up', '--no-lint'], ['up', '--dry-run'], ['up', '--dry-run', '--no-lint']]) {
    const run = await refused(project, args, /migrations\/002_bad\.sql:2:1: syntax error at or near "SELEC"/);
    assert.equal(run.stdout, '', 'a refused dry run prints no SQL');
  }
  assert.equal(await tableExists(sql, 'good_t'), false);
  await rm(project.path('migrations/002_bad.sql'));
  assert.equal((await project.run(['up'])).status, 0);
});

test('down and its dry run refuse a rollback that does not parse, reverting nothing', async () => {
  const project = await fresh({
    ...GOOD,
    'migrations/002_more.sql': 'CREATE TABLE more_t (id int);\n',
    'rollbacks/001_good.sql': 'DROP TABLE IF EXISTS good_t\n  CASCADE CASCADE;\n',
    'rollbacks/002_more.sql': 'DROP TABLE IF EXISTS more_t;\n',
  });
  assert.equal((await project.run(['up', '--no-lint'])).status, 0);
  for (const args of [['down', '--all'], ['down', '--steps', '2', '--dry-run']]) {
    await refused(project, args, /rollbacks\/001_good\.sql:2:11: syntax error at or near "CASCADE"/);
  }
  assert.equal(await tableExists(sql, 'more_t'), true, "002's rollback did not run either");
  assert.equal((await project.run(['down'])).status, 0, 'a down that does not reach the broken rollback runs');
});

test('-- pgshift:allow parse-error REASON leaves the file to the server; without a reason it is refused', async () => {
  const project = await fresh({
    'migrations/001_newer.sql': '-- pgshift:allow parse-error uses syntax newer than the parser\nCREATE TABLE newer_t (id int);\nSELEC 2;\n',
  });
  const validate = await project.run(['validate']);
  assert.equal(validate.status, 0, validate.stderr);
  const up = await project.run(['up']);
  assert.equal(up.status, 1, 'the server, not the parser, refused it');
  assert.match(String(errorLine(up.stderr)['msg']), /001_newer\.sql:3:1: syntax error at or near "SELEC"/);
  assert.equal(await tableExists(sql, 'newer_t'), false);

  await project.write('migrations/001_newer.sql', '-- pgshift:allow parse-error\nCREATE TABLE newer_t (id int);\n');
  await refused(project, ['validate'], /pgshift:allow parse-error gives no reason/);

  await project.write('migrations/001_newer.sql', "-- pgshift:allow parse-error the parser is fine with this one after all\nCREATE TABLE IF NOT EXISTS newer_t (id int);\nCOMMENT ON TABLE newer_t IS 'x';\n");
  const lint = await project.run(['lint', 'migrations/001_newer.sql']);
  assert.equal(lint.stdout, 'no findings\n', 'the directive is not read as a lint suppression');
  assert.equal((await project.run(['up'])).status, 0);
});

test('a file over the parser limit is applied without parsing, with one warning', async () => {
  const project = await fresh({ 'migrations/001_bulk.sql': `CREATE TABLE bulk_t (id int);\n-- ${'x'.repeat(17 * 1024 * 1024)}\n` });
  const run = await project.run(['up']);
  assert.equal(run.status, 0, run.stderr);
  const warnings = logLines(run.stderr).filter((line) => line['level'] === 40).map((line) => String(line['msg']));
  assert.deepEqual(warnings, ['migrations/001_bulk.sql not parsed: 17 MB is more than the parser takes']);
  assert.equal(await tableExists(sql, 'bulk_t'), true);
});

test('--migration outside the migrations folder is refused with a hint naming --migrations-dir', async () => {
  const project = await fresh({ 'scripts/migrations/001_a.sql': 'CREATE TABLE outside_t (id int);\n' });
  await mkdir(project.path('scripts/rollbacks'));
  const run = await refused(project, ['up', '--migration', 'scripts/migrations/001_a.sql'], /not in the migrations folder migrations[^]*--migrations-dir scripts\/migrations/);
  assert.equal(await tableExists(sql, 'outside_t'), false);
  await refused(project, ['verify', '--migration', 'scripts/migrations/001_a.sql'], /not in the migrations folder/);
  assert.equal(errorLine(run.stderr)['code'], 'OUTSIDE_MIGRATIONS');
  await refused(project, ['up', '--migration', 'migrations/002_absent.sql'], /migrations\/002_absent\.sql does not exist/);

  const dirs = ['--migrations-dir', 'scripts/migrations', '--rollbacks-dir', 'scripts/rollbacks'];
  const inside = await project.run(['up', '--migration', 'scripts/migrations/001_a.sql', ...dirs]);
  assert.equal(inside.status, 0, inside.stderr);
  const after = await project.run(['up', ...dirs]);
  assert.equal(after.status, 0, 'the next run finds the file the ledger names');
  assert.deepEqual(await ledgerVersions(sql), [1]);
});

test('files are read while the session connects, yet a folder that cannot be read is still exit 3 at once with the server down', async () => {
  // up, status and down read the files while connecting; the file error must not wait for --wait to run out.
  const project = await makeProject({}, 'postgres://nobody@127.0.0.1:1/nowhere');
  await rm(project.path('migrations'), { recursive: true });
  for (const command of ['up', 'status', 'down']) {
    const started = performance.now();
    const run = await project.run([command, '--wait', '60']);
    assert.equal(run.status, 3, run.stderr);
    assert.match(String(errorLine(run.stderr)['msg']), /the migrations folder migrations does not exist/);
    assert.ok(performance.now() - started < 30_000, `${command} gave up waiting for the server once the files failed`);
  }
});

test('--migration outside the folder is exit 3 before connecting: up and up --dry-run do not wait for a server that is down', async () => {
  const project = await makeProject({ 'migrations/001_a.sql': 'SELECT 1;\n', 'elsewhere/002_b.sql': 'SELECT 2;\n' }, 'postgres://nobody@127.0.0.1:1/nowhere');
  for (const args of [['up'], ['up', '--dry-run']]) {
    const started = performance.now();
    const run = await project.run([...args, '--migration', 'elsewhere/002_b.sql', '--wait', '60']);
    assert.equal(run.status, 3, run.stderr);
    assert.equal(errorLine(run.stderr)['code'], 'OUTSIDE_MIGRATIONS');
    assert.ok(performance.now() - started < 30_000, `${args.join(' ')} did not wait for the server`);
  }
});
