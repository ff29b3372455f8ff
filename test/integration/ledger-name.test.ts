/** Issue 11 item 6: a ledger name whose derived tables would not fit 63 bytes is refused before connecting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLedgerName, DERIVED_TABLE_SUFFIXES } from '../../src/db/ledger.js';
import { testDatabase } from '../support/database.js';
import { errorLine, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);
// Nothing listens on port 1: a run that got as far as connecting would exit 5, not 2.
const unreachable = 'postgres://nobody@127.0.0.1:1/none';

const files = { 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n', 'migrations/002_b.sql': '-- pgshift:no-transaction\nCREATE TABLE b (id int);\n' };

test('a ledger name of 54 bytes fits with its _progress table, and keeps working on later runs', async () => {
  const name = `l${'x'.repeat(53)}`;
  const project = await makeProject(files, db.url);
  assert.equal((await project.run(['up', '--to', '1', '--table', name])).status, 0);
  const again = await project.run(['up', '--table', name]);
  assert.equal(again.status, 0, again.stderr);
  const status = await project.run(['status', '--json', '--table', name]);
  assert.equal(status.status, 0, status.stderr);
  assert.deepEqual((JSON.parse(status.stdout) as Array<{ state: string }>).map((entry) => entry.state), ['applied', 'applied']);
  const tables = await db.sql<Array<{ relname: string }>>`SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE ${`${name}%`} ORDER BY relname`;
  assert.deepEqual(tables.map((row) => row.relname), [name, `${name}_progress`]);
});

for (const [label, option, tooLong] of [
  ['55 ASCII bytes', 'm'.repeat(55), `${'m'.repeat(55)}_progress`],
  ['28 two-byte characters (56 bytes)', 'é'.repeat(28), `${'é'.repeat(28)}_progress`],
  ['a quoted name of 64 bytes', `"${'Q'.repeat(64)}"`, 'Q'.repeat(64)],
  ['a schema part of 64 bytes', `${'s'.repeat(64)}.ledger`, 's'.repeat(64)],
] as const) {
  test(`--table of ${label} is refused with exit 2 before connecting`, async () => {
    const project = await makeProject(files, unreachable);
    for (const command of ['up', 'status']) {
      const run = await project.run([command, '--table', option]);
      assert.equal(run.status, 2, run.stderr);
      const error = errorLine(run.stderr);
      assert.match(String(error['msg']), new RegExp(`^--table .*: "${tooLong}" is \\d+ bytes, over PostgreSQL's limit of 63$`));
      assert.match(String(error['hint']), /_progress, \S+_repeat\) must each fit 63 bytes: use a table name of at most 54 bytes/);
    }
  });
}

test('the limit counts every derived suffix, in bytes', () => {
  const longest = Math.max(...Object.values(DERIVED_TABLE_SUFFIXES).map((suffix) => Buffer.byteLength(suffix)));
  assert.deepEqual(checkLedgerName(`ops.${'a'.repeat(63 - longest)}`), ['ops', 'a'.repeat(63 - longest)]);
  assert.throws(() => checkLedgerName('a'.repeat(64 - longest)), { code: 'USAGE' });
  // 'ß' is one character and two bytes: a name that fits 63 characters does not fit 63 bytes.
  assert.throws(() => checkLedgerName('ß'.repeat(30)), { code: 'USAGE' });
});

test('a --schema over 63 bytes is refused with exit 2 before connecting, counting bytes, not characters', async () => {
  const project = await makeProject(files, unreachable);
  // 32 two-byte characters: 32 characters, 64 bytes.
  for (const [schema, size] of [['s'.repeat(70), 70], ['é'.repeat(32), 64]] as const) {
    for (const command of ['up', 'status']) {
      const run = await project.run([command, '--schema', schema]);
      assert.equal(run.status, 2, run.stderr);
      const error = errorLine(run.stderr);
      assert.equal(error['msg'], `--schema "${schema}" is ${size} bytes, over PostgreSQL's limit of 63`);
      assert.match(String(error['hint']), /PostgreSQL would cut it to its first 63 bytes/);
    }
  }
});

test('a schema of exactly 63 bytes is used whole', async () => {
  const schema = `${'é'.repeat(31)}s`;
  const project = await makeProject(files, db.url);
  const run = await project.run(['up', '--schema', schema]);
  assert.equal(run.status, 0, run.stderr);
  const tables = await db.sql<Array<{ relname: string }>>`SELECT relname FROM pg_class WHERE relnamespace = to_regnamespace(${`"${schema}"`}) AND relkind = 'r' ORDER BY relname`;
  assert.deepEqual(tables.map((row) => row.relname), ['a', 'b', 'schema_migrations', 'schema_migrations_progress']);
});

for (const [flag, value] of [
  ['--schema', 'app\nops'],
  ['--schema', 'app\tops'],
  ['--table', '"led\nger"'],
  ['--table', '"ops\r".ledger'],
] as const) {
  test(`${flag} ${JSON.stringify(value)}: a control character is refused with exit 2 before connecting`, async () => {
    const project = await makeProject(files, unreachable);
    const run = await project.run(['up', flag, value]);
    assert.equal(run.status, 2, run.stderr);
    const error = errorLine(run.stderr);
    assert.equal(error['msg'], `${flag} ${JSON.stringify(value)} holds a control character (a newline, tab or the like)`);
  });
}

test('an unqualified ledger stays where search_path found it when a migration creates an earlier schema of the path: nothing runs twice', async () => {
  const own = await testDatabase(import.meta.url);
  // The first schema of the path does not exist yet, so the first run puts the ledger in public.
  await own.sql.unsafe(`ALTER DATABASE "${own.name}" SET search_path = app, public`);
  const project = await makeProject(
    {
      'migrations/001_app.sql': 'CREATE SCHEMA IF NOT EXISTS app;\nCREATE TABLE IF NOT EXISTS app.accounts (id int);\n',
      'migrations/002_seed.sql': 'INSERT INTO app.accounts VALUES (1);\n',
    },
    own.url,
  );
  assert.equal((await project.run(['up'])).status, 0);
  const second = await project.run(['up']);
  assert.equal(second.status, 0, second.stderr);
  const [{ n }] = await own.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM app.accounts`;
  assert.equal(n, 1, 'the seed ran once');
  const ledgers = await own.sql<Array<{ schema: string }>>`SELECT relnamespace::regnamespace::text AS schema FROM pg_class WHERE relname = 'schema_migrations'`;
  assert.deepEqual(ledgers.map((row) => row.schema), ['public']);
  const status = await project.run(['status', '--json']);
  assert.deepEqual((JSON.parse(status.stdout) as Array<{ state: string }>).map((entry) => entry.state), ['applied', 'applied']);
});
