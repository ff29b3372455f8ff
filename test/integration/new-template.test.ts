/**
 * pgshift new and the README's template: what they write passes lint as written, a template nobody filled
 * in never runs (-- pgshift:unwritten), and an empty rollback is not a rollback.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { ledgerVersions, tableExists } from '../support/inspect.js';
import { errorLine, logLines, makeProject, repoRoot, type Project, type CliResult } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

async function fresh(files: Readonly<Record<string, string>> = {}): Promise<Project> {
  await sql.unsafe('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  return makeProject(files, db.url);
}

async function ok(project: Project, args: readonly string[]): Promise<CliResult> {
  const run = await project.run(args);
  assert.equal(run.status, 0, `pgshift ${args.join(' ')}: ${run.stderr}`);
  return run;
}

/** The README's template: the first sql block after "The template from the team's guide". */
async function readmeTemplate(): Promise<string> {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf("The template from the team's guide"));
  const match = /```sql\n([^]*?)```/.exec(section);
  assert.ok(match?.[1], 'the README has its template');
  return match[1];
}

/** A template with its examples uncommented and its marker deleted: what a user gets by filling it in. */
function filledIn(template: string): string {
  return template
    .split('\n')
    .filter((line) => line !== '-- pgshift:unwritten')
    .map((line) => line.replace(/^-- (?=[A-Z]{4,} |\s{4}|\);)/, ''))
    .join('\n');
}

test("the README's template passes lint with no pgshift:allow, and runs", async () => {
  const template = await readmeTemplate();
  assert.doesNotMatch(template, /pgshift:allow/);
  const project = await fresh({
    'migrations/001_table.sql': "CREATE TABLE IF NOT EXISTS table_name (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE table_name IS 'x';\n",
    'migrations/002_template.sql': template,
  });
  const lint = await ok(project, ['lint', 'migrations/002_template.sql']);
  assert.equal(lint.stdout, 'no findings\n');
  await ok(project, ['up', '--strict']);
  assert.equal(await tableExists(sql, 'child_table'), true);
});

test('what new writes passes lint, and so does its template once filled in', async () => {
  const project = await fresh({
    'migrations/001_table.sql': "CREATE TABLE IF NOT EXISTS table_name (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nCOMMENT ON TABLE table_name IS 'x';\n",
  });
  await ok(project, ['up']);
  await ok(project, ['new', 'add_child']);
  for (const args of [['lint'], ['lint', 'migrations/002_add_child.sql', 'rollbacks/002_add_child.sql'], ['lint', '--strict']]) {
    assert.equal((await ok(project, args)).stdout, 'no findings\n', args.join(' '));
  }
  for (const file of ['migrations/002_add_child.sql', 'rollbacks/002_add_child.sql']) {
    const text = await project.read(file);
    assert.doesNotMatch(text, /pgshift:allow/);
    await project.write(file, filledIn(text));
  }
  assert.equal((await ok(project, ['lint', '--strict'])).stdout, 'no findings\n');
  await ok(project, ['up', '--strict']);
  assert.equal(await tableExists(sql, 'child'), true);
  await ok(project, ['down']);
  assert.equal(await tableExists(sql, 'child'), false);
});

test('up refuses a migration still marked unwritten, with nothing applied', async () => {
  const project = await fresh({ 'migrations/001_first.sql': 'CREATE TABLE first_t (id int);\n' });
  await ok(project, ['new', 'second']);
  for (const args of [['up'], ['up', '--no-lint'], ['up', '--dry-run']]) {
    const run = await project.run(args);
    assert.equal(run.status, 3, run.stderr);
    assert.match(String(errorLine(run.stderr)['msg']), /migrations\/002_second\.sql:\d+:1: still unwritten/);
  }
  const validate = await project.run(['validate']);
  assert.equal(validate.status, 3);
  assert.match(validate.stdout, /002_second\.sql:\d+:1: still unwritten[^]*delete the -- pgshift:unwritten line/);
  assert.equal(await tableExists(sql, 'first_t'), false);
  assert.deepEqual(await ledgerVersions(sql), []);
});

test('down --steps 3 over an unwritten rollback refuses before reverting anything; verify reports it', async () => {
  const project = await fresh();
  for (const name of ['a_t', 'b_t', 'c_t']) {
    const made = JSON.parse((await ok(project, ['new', name, '--json'])).stdout) as { migration: string; rollback: string };
    await project.write(made.migration, `CREATE TABLE ${name} (id int);\n`);
    if (name !== 'b_t') await project.write(made.rollback, `DROP TABLE ${name};\n`);
  }
  const verify = await project.run(['verify', '--json']);
  assert.equal(verify.status, 3, verify.stderr);
  const outcomes = (JSON.parse(verify.stdout) as Array<{ path: string; outcome: string; problems: string[] }>).map((r) => [r.path, r.outcome]);
  assert.deepEqual(outcomes, [
    ['migrations/001_a_t.sql', 'pass'],
    ['migrations/002_b_t.sql', 'unwritten'],
    ['migrations/003_c_t.sql', 'pass'],
  ]);
  const text = await project.run(['verify']);
  assert.match(text.stdout, /UNWRITTEN {2}migrations\/002_b_t\.sql\n {2}- rollbacks\/002_b_t\.sql is still unwritten/);

  await ok(project, ['up']);
  for (const args of [['down', '--steps', '3'], ['down', '--all'], ['down', '--steps', '3', '--dry-run']]) {
    const run = await project.run(args);
    assert.equal(run.status, 3, run.stderr);
    assert.match(String(errorLine(run.stderr)['msg']), /rollbacks\/002_b_t\.sql is still unwritten \(it carries -- pgshift:unwritten\), so nothing was reverted/);
  }
  assert.deepEqual(await ledgerVersions(sql), [1, 2, 3]);
  assert.equal(await tableExists(sql, 'c_t'), true, "003's rollback did not run");
  await ok(project, ['down']);
  assert.deepEqual(await ledgerVersions(sql), [1, 2]);
});

test('a rollback with no statements is refused like a missing one, and the table stays', async () => {
  const project = await fresh({
    'migrations/001_t.sql': 'CREATE TABLE empty_rb_t (id int);\n',
    'rollbacks/001_t.sql': '-- Rollback of 001\n-- DROP TABLE empty_rb_t;\n',
  });
  await ok(project, ['up']);
  const run = await project.run(['down']);
  assert.equal(run.status, 3, run.stderr);
  assert.match(String(errorLine(run.stderr)['msg']), /rollbacks\/001_t\.sql has no statements, so nothing was reverted/);
  assert.equal(await tableExists(sql, 'empty_rb_t'), true);
  assert.deepEqual(await ledgerVersions(sql), [1]);
});

test('new creates missing migrations and rollbacks folders and says so', async () => {
  const project = await fresh();
  await rm(project.path('migrations'), { recursive: true });
  await rm(project.path('rollbacks'), { recursive: true });
  const run = await ok(project, ['new', 'init']);
  assert.equal(run.stdout, 'migrations/001_init.sql\nrollbacks/001_init.sql\n');
  const said = logLines(run.stderr).map((line) => line['msg']);
  assert.ok(said.includes('created the folder migrations/') && said.includes('created the folder rollbacks/'), run.stderr);
  const again = await ok(project, ['new', 'second']);
  assert.doesNotMatch(again.stderr, /created the folder/);
});

test('new refuses a name that starts with a number, with a hint, and writes nothing', async () => {
  const project = await fresh({ 'migrations/001_a.sql': 'SELECT 1;\n' });
  const run = await project.run(['new', '003_numbered']);
  assert.equal(run.status, 2);
  const error = errorLine(run.stderr);
  assert.match(String(error['msg']), /new "003_numbered": the name starts with a number/);
  assert.match(String(error['hint']), /pgshift new numbered/);
  assert.deepEqual(await readdir(project.path('migrations')), ['001_a.sql']);
  assert.deepEqual(await readdir(project.path('rollbacks')), []);
});

test('new refuses a name too long for a file name with exit 2, and writes nothing', async () => {
  const project = await fresh({ 'migrations/001_a.sql': 'SELECT 1;\n' });
  const run = await project.run(['new', 'y'.repeat(260)]);
  assert.equal(run.status, 2, run.stderr);
  const error = errorLine(run.stderr);
  assert.match(String(error['msg']), /new: the name is too long for a file name \(\d+ characters with its number and \.sql; at most 255 bytes\)/);
  assert.deepEqual(await readdir(project.path('migrations')), ['001_a.sql']);
  assert.deepEqual(await readdir(project.path('rollbacks')), []);
});
