/**
 * Repeatable files (`repeatable/NAME.sql`): applied after the migrations of a run, in name order, whenever
 * their text changed, each in its own transaction with its row; and covered by every command that reads
 * what up would run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { errorLine, logLines, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

const THINGS = { 'migrations/001_things.sql': 'CREATE TABLE things (id bigint PRIMARY KEY, name text);\n' };
const VIEW = 'CREATE OR REPLACE VIEW v_things AS SELECT id, name FROM things;\n';

let schemas = 0;

/** A project whose runs use a schema of their own. */
async function project(files: Readonly<Record<string, string>>) {
  const made = await makeProject(files, db.url);
  const schema = `repeatable_${++schemas}`;
  return { project: made, schema, args: (...words: string[]): string[] => [...words, '--schema', schema] };
}

async function recorded(schema: string): Promise<Array<{ name: string; checksum: string; applied_at: Date }>> {
  return sql<Array<{ name: string; checksum: string; applied_at: Date }>>`SELECT name, checksum, applied_at FROM ${sql(schema)}.schema_migrations_repeat ORDER BY name`;
}

const applied = (stderr: string): string[] => logLines(stderr).map((line) => String(line['msg'])).filter((msg) => msg.startsWith('applied '));

test('a migration drops the view and alters the table under it; the repeatable file recreates the view in the same run', async () => {
  const { project: p, schema, args } = await project({ ...THINGS, 'repeatable/v_things.sql': VIEW });
  const first = await p.run(args('up'));
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(applied(first.stderr).map((msg) => msg.replace(/ \(\d+ ms\)$/, '')), ['applied migrations/001_things.sql', 'applied repeatable/v_things.sql']);

  await p.write('migrations/002_name_length.sql', 'DROP VIEW IF EXISTS v_things;\nALTER TABLE things ALTER COLUMN name TYPE varchar(100);\n');
  await p.write('repeatable/v_things.sql', 'CREATE OR REPLACE VIEW v_things AS SELECT id, name, length(name) AS name_length FROM things;\n');
  const status = await p.run(args('status'));
  assert.match(status.stdout, /^repeatable +state +applied at +ms$/m);
  assert.match(status.stdout, /^v_things +changed \(runs again\) /m);

  const second = await p.run(args('up'));
  assert.equal(second.status, 0, second.stderr);
  assert.deepEqual(applied(second.stderr).map((msg) => msg.replace(/ \(\d+ ms\)$/, '')), ['applied migrations/002_name_length.sql', 'applied repeatable/v_things.sql']);
  const [column] = await sql`SELECT column_name FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = 'v_things' AND column_name = 'name_length'`;
  assert.ok(column, 'the view has its new column');
  assert.match((await p.run(args('status'))).stdout, /^v_things +applied /m);

  const before = await recorded(schema);
  const third = await p.run(args('up'));
  assert.equal(third.status, 0);
  assert.deepEqual(applied(third.stderr), [], 'an unchanged repeatable file does not run again');
  assert.ok(logLines(third.stderr).some((line) => line['msg'] === 'nothing to apply'));
  assert.deepEqual(await recorded(schema), before);

  const drift = await p.run(args('drift'));
  assert.equal(drift.status, 0, `${drift.stdout}${drift.stderr}`);
});

test("without the drop, the migration fails with the server's dependency error and none of the run's repeatable files runs", async () => {
  const { project: p, schema, args } = await project({ ...THINGS, 'repeatable/v_things.sql': VIEW });
  assert.equal((await p.run(args('up'))).status, 0);
  const before = await recorded(schema);
  await p.write('migrations/002_name_length.sql', 'ALTER TABLE things ALTER COLUMN name TYPE varchar(100);\n');
  await p.write('repeatable/v_things.sql', 'CREATE OR REPLACE VIEW v_things AS SELECT id, name, length(name) AS name_length FROM things;\n');
  const run = await p.run(args('up'));
  assert.equal(run.status, 1);
  assert.match(String(errorLine(run.stderr)['msg']), /cannot alter type of a column used by a view or rule/);
  assert.deepEqual(await recorded(schema), before, 'the repeatable file did not run');
});

test('a repeatable file that fails stops the run like a migration: its transaction rolled back, no row, exit 1', async () => {
  const { project: p, schema, args } = await project({
    ...THINGS,
    'repeatable/a_ok.sql': VIEW,
    'repeatable/b_broken.sql': 'CREATE OR REPLACE VIEW v_broken AS SELECT missing_column FROM things;\n',
    'repeatable/c_after.sql': 'CREATE OR REPLACE VIEW v_after AS SELECT 1 AS one;\n',
  });
  const run = await p.run(args('up'));
  assert.equal(run.status, 1);
  assert.match(String(errorLine(run.stderr)['msg']), /^repeatable\/b_broken\.sql:1:\d+: column "missing_column" does not exist/);
  assert.deepEqual((await recorded(schema)).map((row) => row.name), ['a_ok'], 'name order; the failed one and those after it have no row');
  const [after] = await sql`SELECT to_regclass(${`${schema}.v_after`}) AS found`;
  assert.equal(after?.['found'], null);
});

test('dry run, markdown review, lint and validate cover them; files up must not run are refused by name', async () => {
  const { project: p, schema, args } = await project({ ...THINGS, 'repeatable/v_things.sql': VIEW, 'repeatable/totals.sql': 'CREATE OR REPLACE VIEW v_totals AS SELECT count(*) AS n FROM things;\n' });
  const dry = await p.run(args('up', '--dry-run'));
  assert.equal(dry.status, 0, dry.stderr);
  const order = ['-- migrations/001_things.sql (version 1)', '-- repeatable/totals.sql (repeatable)', '-- repeatable/v_things.sql (repeatable)'].map((line) => dry.stdout.indexOf(line));
  assert.ok(order.every((at, index) => at >= 0 && (index === 0 || at > (order[index - 1] ?? 0))), 'migrations, then repeatable files in name order');
  const markdown = await p.run(args('up', '--dry-run', '--format', 'markdown'));
  assert.match(markdown.stdout, /^### pgshift: ⚠️ 1 migration and 2 repeatable files would apply/m);
  assert.match(markdown.stdout, /^#### `repeatable\/v_things\.sql` \(repeatable\)$/m);

  await p.write('repeatable/v_things.sql', 'CREATE OR REPLACE VIEW v_things AS SELECT id, name FROM things;\nCREATE INDEX ix_things_name ON things (name);\n');
  const lint = await p.run(args('lint'));
  assert.match(lint.stdout, /^repeatable\/v_things\.sql:2:1 index-not-concurrent /m);

  await p.write('repeatable/Bad Name.sql', 'SELECT 1;\n');
  await p.write('repeatable/concurrent.sql', '-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_things_id ON things (id);\n');
  const validate = await p.run(args('validate'));
  assert.equal(validate.status, 3);
  assert.match(validate.stdout, /^repeatable\/Bad Name\.sql: name does not match NAME\.sql/m);
  assert.match(validate.stdout, /^repeatable\/concurrent\.sql is marked -- pgshift:no-transaction, but a repeatable file runs in one transaction with its row$/m);
  const refused = await p.run(args('up'));
  assert.equal(refused.status, 3);
  const [things] = await sql`SELECT to_regclass(${`${schema}.things`}) AS found`;
  assert.equal(things?.['found'], null, 'nothing was applied');
});

test('verify runs each repeatable file twice in a row: one that cannot run over itself fails, with the reason', async () => {
  const { project: p, schema, args } = await project({ ...THINGS, 'rollbacks/001_things.sql': 'DROP TABLE things;\n', 'repeatable/v_things.sql': VIEW, 'repeatable/w_plain.sql': 'CREATE VIEW w_plain AS SELECT 1 AS one;\n' });
  // verify changes nothing, not even --schema's schema: it is there already, as after a first up.
  await sql.unsafe(`CREATE SCHEMA ${schema}`);
  const verify = await p.run(args('verify'));
  assert.equal(verify.status, 3, verify.stderr);
  assert.match(verify.stdout, /^PASS {2}migrations\/001_things\.sql$/m);
  assert.match(verify.stdout, /^PASS {2}repeatable\/v_things\.sql$/m);
  assert.match(verify.stdout, /^FAIL {2}repeatable\/w_plain\.sql\n {2}- the repeatable file failed when run a second time \(up runs it again over its earlier self\): .*relation "w_plain" already exists/m);
});

test('--to and --migration leave the repeatable files for the run that applies everything; trace traces them', async () => {
  const { project: p, schema, args } = await project({ ...THINGS, 'migrations/002_more.sql': 'ALTER TABLE things ADD COLUMN note text;\n', 'repeatable/v_things.sql': VIEW });
  assert.equal((await p.run(args('up', '--to', '1'))).status, 0);
  assert.equal((await recorded(schema).catch(() => [])).length, 0);
  const trace = await p.run(args('trace', '--json'));
  assert.equal(trace.status, 0, trace.stderr);
  assert.deepEqual((JSON.parse(trace.stdout) as { files: Array<{ path: string }> }).files.map((file) => file.path), ['migrations/002_more.sql', 'repeatable/v_things.sql']);
  assert.equal((await p.run(args('up'))).status, 0);
  assert.deepEqual((await recorded(schema)).map((row) => row.name), ['v_things']);
});

test('a project of repeatable files only, on an empty database: the first one makes the ledger too', async () => {
  const { project: p, schema, args } = await project({ 'repeatable/one.sql': 'CREATE OR REPLACE VIEW one AS SELECT 1 AS one;\n' });
  const run = await p.run(args('up', '--json'));
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual((JSON.parse(run.stdout) as Array<Record<string, unknown>>).map(({ direction, repeatable, name, path }) => ({ direction, repeatable, name, path })), [
    { direction: 'up', repeatable: true, name: 'one', path: 'repeatable/one.sql' },
  ]);
  assert.deepEqual((await recorded(schema)).map((row) => row.name), ['one']);
  const [ledger] = await sql`SELECT to_regclass(${`${schema}.schema_migrations`}) AS found`;
  assert.notEqual(ledger?.['found'], null);
});

test('under --lock transaction, runs side by side apply a changed repeatable file once', async () => {
  const { project: p, schema, args } = await project({ ...THINGS, 'repeatable/log.sql': 'CREATE TABLE IF NOT EXISTS runs (at timestamptz);\nINSERT INTO runs VALUES (now());\n' });
  assert.equal((await p.run(args('up'))).status, 0);
  await p.write('repeatable/log.sql', 'CREATE TABLE IF NOT EXISTS runs (at timestamptz);\nINSERT INTO runs VALUES (now());\n-- changed\n');
  const runs = await Promise.all(Array.from({ length: 4 }, () => p.run(args('up', '--lock', 'transaction'))));
  for (const run of runs) assert.equal(run.status, 0, run.stderr);
  const [{ count }] = await sql<[{ count: number }]>`SELECT count(*)::int AS count FROM ${sql(schema)}.runs`;
  assert.equal(count, 2, 'once for the first text, once for the change');
});

test('refused before anything runs: an unwritten repeatable file, a --repeatable-dir that does not exist; drift after a change says to run up', async () => {
  const { project: p, args } = await project({ ...THINGS, 'repeatable/v_things.sql': VIEW });
  assert.equal((await p.run(args('up'))).status, 0);
  await p.write('repeatable/draft.sql', '-- pgshift:unwritten\nSELECT 1;\n');
  const unwritten = await p.run(args('up'));
  assert.equal(unwritten.status, 3);
  assert.match(String(errorLine(unwritten.stderr)['msg']), /^repeatable\/draft\.sql:1:1: still unwritten/);
  await p.remove('repeatable/draft.sql');

  const missing = await p.run(args('status', '--repeatable-dir', 'views'));
  assert.equal(missing.status, 3);
  assert.equal(errorLine(missing.stderr)['code'], 'UNREADABLE_FILE');
  assert.match(String(errorLine(missing.stderr)['hint']), /--repeatable-dir/);

  await p.write('repeatable/v_things.sql', 'CREATE OR REPLACE VIEW v_things AS SELECT id, name, 1 AS one FROM things;\n');
  const drift = await p.run(args('drift'));
  assert.equal(drift.status, 3);
  assert.match(drift.stdout + drift.stderr, /repeatable\/v_things\.sql changed since it was last applied/);
});
