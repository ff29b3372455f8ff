/**
 * Validation through the CLI: every problem the README lists stops the command with exit 3 before anything runs,
 * and what counts as the same file (line ends, BOM) or as the right order (numeric) is not a problem.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { ledgerVersions, tableExists } from '../support/inspect.js';
import { errorLine, makeProject, type Project } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

/** Each test starts from an empty database, so one test's ledger never explains another's outcome. */
async function freshProject(files: Readonly<Record<string, string>>): Promise<Project> {
  await sql.unsafe('DROP SCHEMA IF EXISTS pgshift CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  return makeProject(files, db.url);
}

async function runOk(project: Project, args: readonly string[]): Promise<string> {
  const run = await project.run(args);
  assert.equal(run.status, 0, `pgshift ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** The whole report a person reads: the error, its hint, and each problem listed under it. */
function reportOf(stderr: string): string {
  const error = errorLine(stderr);
  const problems = (error['problems'] ?? []) as Array<{ message: string; hint: string }>;
  return [error['msg'], error['hint'], ...problems.flatMap((problem) => [problem.message, problem.hint])].join('\n');
}

interface Refusal {
  readonly args?: readonly string[];
  /** Tables of pending files, which a refused up must not have created. */
  readonly absent?: readonly string[];
  /** Tables of applied files, which a refused down must not have dropped. */
  readonly kept?: readonly string[];
  /** What must be the same before and after; by default the ledger's versions. */
  readonly unchanged?: () => Promise<unknown>;
}

/** Runs a command validation must stop: exit 3, a report matching `names`, and nothing changed in the database. */
async function refused(project: Project, names: RegExp, refusal: Refusal = {}): Promise<Record<string, unknown>> {
  const { args = ['up'], absent = [], kept = [], unchanged = () => ledgerVersions(sql) } = refusal;
  const before = await unchanged();
  const run = await project.run(args);
  assert.equal(run.status, 3, `pgshift ${args.join(' ')}: ${run.stderr}`);
  assert.match(reportOf(run.stderr), names);
  assert.deepEqual(await unchanged(), before, 'nothing was recorded or removed');
  for (const table of absent) assert.equal(await tableExists(sql, table), false, `${table} was not created`);
  for (const table of kept) assert.equal(await tableExists(sql, table), true, `${table} is still there`);
  return errorLine(run.stderr);
}

async function states(project: Project): Promise<Array<[number, string]>> {
  const entries = JSON.parse(await runOk(project, ['status', '--json'])) as Array<{ version: number; state: string }>;
  return entries.map((entry) => [entry.version, entry.state]);
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a badly named .sql file in migrations/ or rollbacks/ stops up before the good files run', async () => {
  const project = await freshProject({ 'migrations/001_ok.sql': 'CREATE TABLE ok (id int);\n' });
  for (const bad of ['migrations/1-x.sql', 'migrations/abc.sql', 'migrations/002_two words.sql', 'rollbacks/001-undo.sql']) {
    await project.write(bad, 'SELECT 1;\n');
    await refused(project, new RegExp(`^${escaped(bad)}: name does not match NNN_name\\.sql`, 'm'), { absent: ['ok'] });
    await project.remove(bad);
  }
});

test('files not ending in .sql are ignored', async () => {
  const project = await freshProject({
    'migrations/001_ok.sql': 'CREATE TABLE ok (id int);\n',
    'migrations/notes.txt': 'not SQL, and not a typo of a migration',
    'rollbacks/README.md': '# rollbacks\n',
  });
  await runOk(project, ['up']);
  assert.equal(await tableExists(sql, 'ok'), true);
  assert.deepEqual(await ledgerVersions(sql), [1]);
});

test('two files with one version are refused, whichever the directory lists first', async () => {
  const project = await freshProject({
    'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
    'migrations/1_b.sql': 'CREATE TABLE b (id int);\n',
  });
  await refused(project, /migrations\/(001_a|1_b)\.sql and migrations\/(1_b|001_a)\.sql both have version 1/, { absent: ['a', 'b'] });
});

test('a rollback with no migration of its version is refused', async () => {
  const project = await freshProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n', 'rollbacks/002_gone.sql': 'DROP TABLE gone;\n' });
  await refused(project, /^rollbacks\/002_gone\.sql has no migration with version 2$/m, { absent: ['a'] });
});

test('an edited applied file stops up before the next pending file, and validate and status show it', async () => {
  const project = await freshProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n' });
  await runOk(project, ['up']);
  await project.write('migrations/001_a.sql', 'CREATE TABLE a (id bigint);\n');
  await project.write('migrations/002_b.sql', 'CREATE TABLE b (id int);\n');
  const changed = /migrations\/001_a\.sql was applied with checksum [0-9a-f]{12}… but now hashes to [0-9a-f]{12}…/;
  await refused(project, changed, { absent: ['b'] });
  const validate = await project.run(['validate']);
  assert.equal(validate.status, 3);
  assert.match(validate.stdout, changed);
  assert.deepEqual(await states(project), [
    [1, 'changed'],
    [2, 'pending'],
  ]);
});

test('a deleted applied file stops up as missing', async () => {
  const project = await freshProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n' });
  await runOk(project, ['up']);
  await project.remove('migrations/001_a.sql');
  await project.write('migrations/002_b.sql', 'CREATE TABLE b (id int);\n');
  await refused(project, /version 1 \(a\) is applied but no migration file has that version\n.*restore migrations\/001_a\.sql/, {
    absent: ['b'],
  });
  assert.deepEqual(await states(project), [
    [1, 'missing'],
    [2, 'pending'],
  ]);
});

test('a pending file below the highest applied version is refused; --migration applies it on purpose', async () => {
  const project = await freshProject({ 'migrations/002_b.sql': 'CREATE TABLE b (id int);\n' });
  await runOk(project, ['up']);
  await project.write('migrations/001_a.sql', 'CREATE TABLE a (id int);\n');
  await refused(project, /migrations\/001_a\.sql is pending but version 2 \(b\) is already applied\n.*pgshift up --migration migrations\/001_a\.sql/, {
    absent: ['a'],
  });
  // The hint's way out must work, or the refusal would leave the user stuck.
  await runOk(project, ['up', '--migration', 'migrations/001_a.sql']);
  assert.deepEqual(await ledgerVersions(sql), [1, 2]);
});

test('a file that is not valid UTF-8 is refused, naming the line of the first bad byte', async () => {
  const project = await freshProject({ 'migrations/002_after.sql': 'CREATE TABLE after_latin1 (id int);\n' });
  // Line 1 holds valid multi-byte UTF-8, so only a per-line check finds line 3.
  const latin1 = Buffer.concat([Buffer.from("SELECT 'déjà vu';\n-- fine\n-- caf"), Buffer.from([0xe9]), Buffer.from('\nSELECT 1;\n')]);
  await project.write('migrations/001_latin1.sql', latin1);
  await refused(project, /^migrations\/001_latin1\.sql:3: the file is not valid UTF-8$/m, { absent: ['after_latin1'] });
});

test('order is numeric, never lexical, past 999', async () => {
  // Lexically 1000_w sorts before 100_y, 998_v and 999_z: it would alter a table that does not exist yet.
  const project = await freshProject({
    'migrations/0099_x.sql': 'CREATE TABLE chain (id serial PRIMARY KEY, step int);\nINSERT INTO chain (step) VALUES (99);\n',
    'migrations/100_y.sql': 'INSERT INTO chain (step) VALUES (100);\n',
    'migrations/998_v.sql': 'INSERT INTO chain (step) VALUES (998);\n',
    'migrations/999_z.sql': 'CREATE TABLE late (id int);\nINSERT INTO chain (step) VALUES (999);\n',
    'migrations/1000_w.sql': 'ALTER TABLE late ADD COLUMN note text;\nINSERT INTO chain (step) VALUES (1000);\n',
  });
  const applied = JSON.parse(await runOk(project, ['up', '--json'])) as Array<{ version: number }>;
  const numeric = [99, 100, 998, 999, 1000];
  assert.deepEqual(applied.map((result) => result.version), numeric);
  const steps = await sql<Array<{ step: number }>>`SELECT step FROM chain ORDER BY id`;
  assert.deepEqual(steps.map((row) => row.step), numeric, 'the serial ids were drawn in that order');
  assert.deepEqual(await ledgerVersions(sql), numeric);
  assert.deepEqual(await states(project), numeric.map((version) => [version, 'applied']));
});

/** Another tool's public.schema_migrations as that tool would see it: its columns and its rows. */
async function foreignLedger(): Promise<unknown> {
  const columns = await sql`
    SELECT column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = 'schema_migrations' ORDER BY ordinal_position`;
  const rows = await sql`SELECT * FROM public.schema_migrations ORDER BY version`;
  return { columns: [...columns], rows: [...rows] };
}

for (const foreign of [
  {
    tool: 'golang-migrate',
    ddl: 'CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)',
    row: 'INSERT INTO schema_migrations VALUES (20240101120000, false)',
    // The global option after the command here and before it below: the README allows both.
    aside: ['up', '--table', 'pgshift.schema_migrations'],
  },
  {
    tool: 'dbmate',
    ddl: 'CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)',
    row: "INSERT INTO schema_migrations VALUES ('20240101120000')",
    aside: ['--table', 'pgshift.schema_migrations', 'up'],
  },
]) {
  test(`${foreign.tool}'s schema_migrations is never altered: exit 3, a hint to use --table, which then works beside it`, async () => {
    const project = await freshProject({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n' });
    await sql.unsafe(foreign.ddl);
    await sql.unsafe(foreign.row);
    const original = await foreignLedger();
    const error = await refused(project, /public\.schema_migrations exists but is not a pgshift ledger/, { absent: ['a'], unchanged: foreignLedger });
    assert.match(String(error['hint']), /another migration tool.*--table/);
    const validate = await project.run(['validate']);
    assert.equal(validate.status, 3);
    assert.match(validate.stdout, /not a pgshift ledger/);

    await runOk(project, foreign.aside);
    const [{ schema }] = await sql<[{ schema: boolean }]>`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgshift') AS schema`;
    assert.equal(schema, true, 'the schema of --table was created');
    assert.deepEqual(await ledgerVersions(sql, 'pgshift.schema_migrations'), [1]);
    assert.equal(await tableExists(sql, 'a'), true);
    assert.deepEqual(await foreignLedger(), original, `${foreign.tool}'s table is untouched by the run beside it`);
  });
}

test('CRLF, BOM and CR copies of an applied file are the same file: no drift, nothing to apply', async () => {
  const text = "-- Purpose: line ends\nCREATE TABLE le (id int);\nCOMMENT ON TABLE le IS 'x';\n";
  const project = await freshProject({ 'migrations/001_le.sql': text.replaceAll('\n', '\r\n') });
  await runOk(project, ['up']);
  const [row] = await sql<[{ checksum: string; applied_at: Date }]>`SELECT checksum, applied_at FROM schema_migrations`;
  // The documented checksum: SHA-256 of the text with LF line ends, so every copy below must hash the same.
  assert.equal(row.checksum, createHash('sha256').update(text).digest('hex'));
  for (const copy of [text, `\uFEFF${text}`, `\uFEFF${text.replaceAll('\n', '\r\n')}`, text.replaceAll('\n', '\r')]) {
    await project.write('migrations/001_le.sql', copy);
    assert.equal(await runOk(project, ['validate']), 'no problems found\n');
    assert.deepEqual(await states(project), [[1, 'applied']]);
    assert.deepEqual(JSON.parse(await runOk(project, ['up', '--json'])), []);
  }
  const [after] = await sql<[{ applied_at: Date }]>`SELECT applied_at FROM schema_migrations`;
  assert.deepEqual(after.applied_at, row.applied_at, 'the migration never ran again');
});

test('down is refused, reverting nothing, when any migration to revert has no rollback', async () => {
  const project = await freshProject({
    'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
    'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
    'rollbacks/002_b.sql': 'DROP TABLE b;\n',
  });
  await runOk(project, ['up']);
  // 002 could be reverted on its own; it must not be, since the run as asked cannot finish.
  for (const args of [['down', '--steps', '2'], ['down', '--all']]) {
    await refused(project, /version 1 \(a\) has no rollback file, so nothing was reverted\n.*rollbacks\/001_a\.sql/, { args, kept: ['a', 'b'] });
  }
  await runOk(project, ['down']);
  assert.deepEqual(await ledgerVersions(sql), [1]);
  assert.equal(await tableExists(sql, 'b'), false);
});

test('validate exits 0 on a clean project and lists every problem at once; up stops for all of them', async () => {
  const files = {
    'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
    'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
    'migrations/003_c.sql': 'CREATE TABLE c (id int);\n',
  };
  const project = await freshProject(files);
  await runOk(project, ['up']);
  assert.equal(await runOk(project, ['validate']), 'no problems found\n');
  assert.deepEqual(JSON.parse(await runOk(project, ['validate', '--json'])), []);

  await project.write('migrations/001_a.sql', 'CREATE TABLE a (id bigint);\n');
  await project.remove('migrations/003_c.sql');
  await project.write('migrations/000_zero.sql', 'CREATE TABLE zero (id int);\n');
  // Same text as 002_b, so whichever of the two is kept, version 2 does not also count as changed.
  await project.write('migrations/2_dup.sql', files['migrations/002_b.sql']);
  await project.write('migrations/bad.sql', 'SELECT 1;\n');
  await project.write('rollbacks/009_orphan.sql', 'SELECT 1;\n');
  const expected = ['BAD_NAME', 'CHECKSUM_MISMATCH', 'DUPLICATE_VERSION', 'MIGRATION_MISSING', 'ORPHAN_ROLLBACK', 'OUT_OF_ORDER'];

  const json = await project.run(['validate', '--json']);
  assert.equal(json.status, 3);
  assert.deepEqual((JSON.parse(json.stdout) as Array<{ code: string }>).map((problem) => problem.code).sort(), expected);
  const text = await project.run(['validate']);
  assert.equal(text.status, 3);
  for (const named of ['migrations/001_a.sql', 'version 3 (c)', 'migrations/000_zero.sql', 'migrations/2_dup.sql', 'migrations/bad.sql', 'rollbacks/009_orphan.sql']) {
    assert.ok(text.stdout.includes(named), `validate names ${named}:\n${text.stdout}`);
  }

  const before = await ledgerVersions(sql);
  const up = await project.run(['up']);
  assert.equal(up.status, 3);
  const error = errorLine(up.stderr);
  assert.equal(error['msg'], '6 problems found in migrations and ledger');
  assert.deepEqual((error['problems'] as Array<{ code: string }>).map((problem) => problem.code).sort(), expected);
  assert.deepEqual(await ledgerVersions(sql), before);
  assert.equal(await tableExists(sql, 'zero'), false);
});
