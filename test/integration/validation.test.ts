/**
 * Validation stops everything with exit 3 before anything runs: bad names, duplicates, orphan rollbacks,
 * edited or missing applied files, out-of-order files, undecodable files, and another tool's ledger.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { logLines, makeProject, type Project } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

async function ledgerVersions(table = 'schema_migrations'): Promise<number[]> {
  const [{ exists }] = await sql<[{ exists: boolean }]>`SELECT to_regclass(${table}) IS NOT NULL AS exists`;
  if (!exists) return [];
  const rows = await sql.unsafe<Array<{ version: number }>>(`SELECT version::int AS version FROM ${table} ORDER BY version`);
  return rows.map((row) => row.version);
}

async function tableExists(name: string): Promise<boolean> {
  const [{ exists }] = await sql<[{ exists: boolean }]>`SELECT to_regclass(${name}) IS NOT NULL AS exists`;
  return exists;
}

/** Runs up expecting exit 3, that the message names `pattern`, and that nothing was applied. */
async function refused(project: Project, pattern: RegExp, args: string[] = ['up']): Promise<void> {
  const before = await ledgerVersions();
  const run = await project.run(args);
  assert.equal(run.status, 3, run.stderr);
  const error = logLines(run.stderr).find((line) => line['level'] === 50);
  const text = JSON.stringify(error);
  assert.match(text, pattern);
  assert.deepEqual(await ledgerVersions(), before, 'no ledger row changed');
}

async function reset(): Promise<void> {
  await sql.unsafe('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
}

test('badly named .sql files are refused; other files are ignored', async () => {
  await reset();
  const project = await makeProject({ 'migrations/001_ok.sql': 'CREATE TABLE ok (id int);\n', 'migrations/notes.txt': 'not SQL' }, db.url);
  for (const bad of ['migrations/1-x.sql', 'migrations/abc.sql', 'migrations/002_two words.sql', 'rollbacks/oops.sql']) {
    await project.write(bad, 'SELECT 1;\n');
    await refused(project, new RegExp(bad.replace('.', '\\.').split('/')[1] ?? ''));
    assert.equal(await tableExists('ok'), false);
    await project.remove(bad);
  }
  const clean = await project.run(['up']);
  assert.equal(clean.status, 0, 'notes.txt is ignored');
});

test('two files with one version, and an orphan rollback, are refused', async () => {
  await reset();
  const project = await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n', 'migrations/1_b.sql': 'CREATE TABLE b (id int);\n' }, db.url);
  await refused(project, /migrations\/001_a\.sql and migrations\/1_b\.sql both have version 1/);
  await project.remove('migrations/1_b.sql');
  await project.write('rollbacks/002_gone.sql', 'SELECT 1;\n');
  await refused(project, /rollbacks\/002_gone\.sql has no migration with version 2/);
  assert.equal(await tableExists('a'), false);
});

test('an edited applied file is refused with nothing applied, and validate lists it', async () => {
  await reset();
  const project = await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n' }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  await project.write('migrations/001_a.sql', 'CREATE TABLE a (id bigint);\n');
  await project.write('migrations/002_b.sql', 'CREATE TABLE b (id int);\n');
  await refused(project, /migrations\/001_a\.sql was applied with checksum [0-9a-f]{12}… but now hashes to [0-9a-f]{12}…/);
  assert.equal(await tableExists('b'), false, 'the pending file was not applied either');
  const validate = await project.run(['validate']);
  assert.equal(validate.status, 3);
  assert.match(validate.stdout, /001_a\.sql was applied with checksum/);
});

test('CRLF and BOM copies of an applied file are not drift', async () => {
  await reset();
  const text = '-- Purpose: line ends\nCREATE TABLE le (id int);\nCOMMENT ON TABLE le IS \'x\';\n';
  const project = await makeProject({ 'migrations/001_le.sql': text }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  for (const copy of [text.replaceAll('\n', '\r\n'), `\uFEFF${text}`, `\uFEFF${text.replaceAll('\n', '\r')}`]) {
    await project.write('migrations/001_le.sql', copy);
    const validate = await project.run(['validate']);
    assert.equal(validate.status, 0, validate.stdout);
    const status = await project.run(['status', '--json']);
    assert.equal((JSON.parse(status.stdout) as Array<{ state: string }>)[0]?.state, 'applied');
    const up = await project.run(['up']);
    assert.deepEqual(logLines(up.stderr).map((l) => l['msg']), ['nothing to apply']);
  }
});

test('a deleted applied file is refused as missing', async () => {
  await reset();
  const project = await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n' }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  await project.remove('migrations/001_a.sql');
  await project.write('migrations/002_b.sql', 'CREATE TABLE b (id int);\n');
  await refused(project, /version 1 \(a\) is applied but no migration file has that version/);
  const status = await project.run(['status', '--json']);
  assert.deepEqual((JSON.parse(status.stdout) as Array<{ state: string }>).map((e) => e.state), ['missing', 'pending']);
});

test('a pending file below the highest applied version is refused as out of order', async () => {
  await reset();
  const project = await makeProject({ 'migrations/002_b.sql': 'CREATE TABLE b (id int);\n' }, db.url);
  assert.equal((await project.run(['up'])).status, 0);
  await project.write('migrations/001_a.sql', 'CREATE TABLE a (id int);\n');
  await refused(project, /migrations\/001_a\.sql is pending but version 2 \(b\) is already applied.*pgshift up --migration migrations\/001_a\.sql/);
});

test('a file that is not UTF-8 is refused, naming its line', async () => {
  await reset();
  const project = await makeProject({}, db.url);
  await project.write('migrations/001_latin1.sql', Buffer.concat([Buffer.from('SELECT 1;\n-- caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  await refused(project, /migrations\/001_latin1\.sql:2: the file is not valid UTF-8/);
});

test('order beyond 999 is numeric, never lexical', async () => {
  await reset();
  const project = await makeProject(
    {
      'migrations/0099_first.sql': 'CREATE TABLE chain (step int);\nINSERT INTO chain VALUES (99);\n',
      'migrations/100_second.sql': 'INSERT INTO chain VALUES (100);\n',
      'migrations/999_third.sql': 'INSERT INTO chain VALUES (999);\n',
      'migrations/1000_fourth.sql': 'INSERT INTO chain VALUES (1000);\n',
    },
    db.url,
  );
  const run = await project.run(['up', '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual((JSON.parse(run.stdout) as Array<{ version: number }>).map((r) => r.version), [99, 100, 999, 1000]);
  const rows = await sql<Array<{ step: number }>>`SELECT step FROM chain`;
  assert.deepEqual(rows.map((r) => r.step), [99, 100, 999, 1000], 'inserted in numeric order');
});

test("another tool's schema_migrations is never altered: exit 3 with a hint to use --table", async () => {
  for (const [tool, ddl, row] of [
    ['golang-migrate', 'CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)', "INSERT INTO schema_migrations VALUES (20240101, false)"],
    ['dbmate', 'CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)', "INSERT INTO schema_migrations VALUES ('20240101000000')"],
  ] as const) {
    await reset();
    await sql.unsafe(ddl);
    await sql.unsafe(row);
    const project = await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n' }, db.url);
    const run = await project.run(['up']);
    assert.equal(run.status, 3, `${tool}: ${run.stderr}`);
    const error = logLines(run.stderr).find((line) => line['level'] === 50);
    assert.match(String(error?.['msg']), /public\.schema_migrations exists but is not a pgshift ledger/);
    assert.match(String(error?.['hint']), /--table/);
    const [{ count }] = await sql<[{ count: number }]>`SELECT count(*)::int AS count FROM schema_migrations`;
    assert.equal(count, 1, `${tool}'s rows are untouched`);
    assert.equal(await tableExists('a'), false);

    const aside = await project.run(['up', '--table', 'pgshift.schema_migrations']);
    assert.equal(aside.status, 0, aside.stderr);
    assert.deepEqual(await ledgerVersions('pgshift.schema_migrations'), [1]);
    await sql`DROP SCHEMA pgshift CASCADE`;
  }
});

test('validate exits 0 on a clean project and lists several problems at once', async () => {
  await reset();
  const project = await makeProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n' }, db.url);
  const clean = await project.run(['validate']);
  assert.equal(clean.status, 0);
  assert.equal(clean.stdout, 'no problems found\n');
  await project.write('migrations/bad.sql', 'SELECT 1;\n');
  await project.write('rollbacks/009_orphan.sql', 'SELECT 1;\n');
  await project.write('migrations/002_tx.sql', 'BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n');
  const run = await project.run(['validate', '--json']);
  assert.equal(run.status, 3);
  assert.deepEqual((JSON.parse(run.stdout) as Array<{ code: string }>).map((p) => p.code).sort(), ['BAD_NAME', 'ORPHAN_ROLLBACK', 'TRANSACTION_CONTROL']);
});
