/**
 * Migrations merged out of order: refused unless the project allows them, then applied in version order,
 * recorded in the order they ran, and reverted newest-applied first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMigrator } from '../../src/index.js';
import { testDatabase } from '../support/database.js';
import { errorLine, makeProject } from '../support/project.js';

const db = await testDatabase(import.meta.url);
const { sql } = db;

/** Migrations and rollbacks that each create and drop a table named after their version. */
function files(...versions: number[]): Record<string, string> {
  const entries = versions.flatMap((version) => {
    const name = `${String(version).padStart(3, '0')}_t${version}.sql`;
    return [
      [`migrations/${name}`, `CREATE TABLE t${version} (id int);\n`],
      [`rollbacks/${name}`, `DROP TABLE t${version};\n`],
    ];
  });
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The versions in the ledger of `schema` (each test migrates a schema of its own), in the order they were applied. */
async function appliedOrder(schema: string): Promise<number[]> {
  const rows = await sql<Array<{ version: number }>>`SELECT version::int AS version FROM ${sql(schema)}.schema_migrations ORDER BY applied_order`;
  return rows.map((row) => row.version);
}

const versionsOf = (stdout: string): Array<[string, number]> =>
  (JSON.parse(stdout) as Array<{ direction: string; version: number }>).map((result) => [result.direction, result.version]);

test('a file merged below the highest applied version: refused by default, applied with --allow-out-of-order, reverted newest-applied first', async () => {
  const table = ['--schema', 'ooo_flag'];
  const project = await makeProject(files(1, 3), db.url);
  assert.equal((await project.run(['up', ...table])).status, 0);
  // The other branch's file lands, and a later one after it.
  for (const [path, text] of Object.entries(files(2, 4))) await project.write(path, text);

  const status = await project.run(['status', ...table]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /\n +2 +t2 +pending \(out of order\) /);
  assert.match(status.stdout, /\n +4 +t4 +pending +- /);
  const json = JSON.parse((await project.run(['status', '--json', ...table])).stdout) as Array<{ version: number; outOfOrder?: boolean }>;
  assert.deepEqual(json.map((entry) => [entry.version, entry.outOfOrder ?? false]), [[1, false], [2, true], [3, false], [4, false]]);

  const refused = await project.run(['validate', ...table]);
  assert.equal(refused.status, 3);
  assert.match(refused.stdout, /migrations\/002_t2\.sql is pending but version 3 \(t3\) is already applied/);
  assert.match(refused.stdout, /--allow-out-of-order/);
  assert.equal((await project.run(['up', ...table])).status, 3, 'a plain up still refuses it');
  assert.equal((await project.run(['validate', '--allow-out-of-order', ...table])).status, 0);

  const dry = await project.run(['up', '--dry-run', '--allow-out-of-order', ...table]);
  assert.equal(dry.status, 0, dry.stderr);
  assert.ok(dry.stdout.indexOf('CREATE TABLE t2') < dry.stdout.indexOf('CREATE TABLE t4'), 'the dry run applies 2, then 4');

  const up = await project.run(['up', '--json', '--allow-out-of-order', ...table]);
  assert.equal(up.status, 0, up.stderr);
  assert.deepEqual(versionsOf(up.stdout), [['up', 2], ['up', 4]]);
  assert.deepEqual(await appliedOrder('ooo_flag'), [1, 3, 2, 4]);

  // down follows the applied order: 4, then 2 (applied after 3), then 3.
  const down = await project.run(['down', '--json', '--steps', '2', ...table]);
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(versionsOf(down.stdout), [['down', 4], ['down', 2]]);
  assert.deepEqual(await appliedOrder('ooo_flag'), [1, 3]);

  assert.equal((await project.run(['up', '--allow-out-of-order', ...table])).status, 0);
  const to = await project.run(['down', '--json', '--to', '1', ...table]);
  assert.equal(to.status, 0, to.stderr);
  assert.deepEqual(versionsOf(to.stdout), [['down', 4], ['down', 2], ['down', 3]]);
  assert.deepEqual(await appliedOrder('ooo_flag'), [1]);
});

test('redo redoes the newest-applied migration, which need not be the highest version', async () => {
  const table = ['--schema', 'ooo_redo'];
  const project = await makeProject(files(1, 2, 3), db.url);
  assert.equal((await project.run(['up', '--to', '1', ...table])).status, 0);
  assert.equal((await project.run(['up', '--migration', 'migrations/003_t3.sql', ...table])).status, 0);
  assert.equal((await project.run(['up', '--allow-out-of-order', ...table])).status, 0);
  assert.deepEqual(await appliedOrder('ooo_redo'), [1, 3, 2]);
  const redo = await project.run(['redo', '--json', ...table]);
  assert.equal(redo.status, 0, redo.stderr);
  assert.deepEqual(versionsOf(redo.stdout), [['down', 2], ['up', 2]]);
  assert.deepEqual(await appliedOrder('ooo_redo'), [1, 3, 2]);
});

test('package.json "pgshift": {"outOfOrder": true} allows it for every run; --no-allow-out-of-order overrides it; a value not true or false is refused', async () => {
  const table = ['--schema', 'ooo_manifest'];
  const project = await makeProject({ ...files(1, 3), 'package.json': JSON.stringify({ name: 'app', pgshift: { outOfOrder: true } }) }, db.url);
  assert.equal((await project.run(['up', ...table])).status, 0);
  for (const [path, text] of Object.entries(files(2))) await project.write(path, text);
  assert.equal((await project.run(['validate', ...table])).status, 0);
  const overridden = await project.run(['up', '--no-allow-out-of-order', ...table]);
  assert.equal(overridden.status, 3);
  assert.equal(errorLine(overridden.stderr)['code'], 'VALIDATION_FAILED');
  assert.equal((await project.run(['up', ...table])).status, 0);
  assert.deepEqual(await appliedOrder('ooo_manifest'), [1, 3, 2]);

  await project.write('package.json', JSON.stringify({ pgshift: { outOfOrder: 'yes' } }));
  const wrong = await project.run(['status', ...table]);
  assert.equal(wrong.status, 2);
  assert.equal(errorLine(wrong.stderr)['msg'], 'package.json pgshift.outOfOrder is "yes", not true or false');
  assert.doesNotMatch(wrong.stderr, /\n\s+at /, 'no stack trace');
});

test('the API takes outOfOrder, and its OUT_OF_ORDER problem names the option', async () => {
  const project = await makeProject(files(1, 3), db.url);
  const options = { database: { url: db.url }, cwd: project.dir, schema: 'ooo_api' };
  await createMigrator(options).up();
  for (const [path, text] of Object.entries(files(2))) await project.write(path, text);
  const problems = await createMigrator(options).validate();
  assert.deepEqual(problems.map((problem) => problem.code), ['OUT_OF_ORDER']);
  const result = await createMigrator({ ...options, outOfOrder: true }).up();
  assert.deepEqual(result.migrations.map((migration) => migration.version), [2]);
});

test('a ledger written before applied_order: read in applied_at order, and numbered so when the next up adds the column', async () => {
  const project = await makeProject(files(1, 2, 3, 4), db.url);
  // As an earlier pgshift left it: 1 and 3 applied together in one transaction, 2 later, out of order.
  const table = ['--schema', 'ooo_old'];
  assert.equal((await project.run(['up', '--to', '3', ...table])).status, 0);
  await sql.unsafe(`ALTER TABLE ooo_old.schema_migrations DROP COLUMN applied_order, DROP COLUMN pgshift_version, DROP COLUMN git_commit`);
  await sql.unsafe(`UPDATE ooo_old.schema_migrations SET applied_at = CASE version WHEN 2 THEN '2026-01-02'::timestamptz ELSE '2026-01-01' END`);

  const dry = await project.run(['down', '--dry-run', '--steps', '3', ...table]);
  assert.equal(dry.status, 0, dry.stderr);
  const reverted = [...dry.stdout.matchAll(/DROP TABLE t(\d)/g)].map((match) => Number(match[1]));
  assert.deepEqual(reverted, [2, 3, 1], 'newest applied_at first; within one instant, highest version first');

  const up = await project.run(['up', ...table]);
  assert.equal(up.status, 0, up.stderr);
  assert.deepEqual(await appliedOrder('ooo_old'), [1, 3, 2, 4]);
  const [column] = await sql<[{ identity: string; nullable: string }]>`
    SELECT is_identity AS identity, is_nullable AS nullable FROM information_schema.columns WHERE table_schema = 'ooo_old' AND table_name = 'schema_migrations' AND column_name = 'applied_order'`;
  assert.deepEqual({ ...column }, { identity: 'YES', nullable: 'NO' });
  const down = await project.run(['down', '--json', ...table]);
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(versionsOf(down.stdout), [['down', 4]]);
});

test("a role that may write the ledger's rows but does not own it goes on using an earlier pgshift's ledger as it is", async () => {
  const role = `${db.name}_deploy`;
  const project = await makeProject(files(1, 2, 3), db.url);
  const schema = ['--schema', 'ooo_unowned'];
  assert.equal((await project.run(['up', '--to', '1', ...schema])).status, 0);
  // The previous pgshift's layout: provenance, no applied_order. Then a deploy role with rights on rows only.
  await sql.unsafe(`ALTER TABLE ooo_unowned.schema_migrations DROP COLUMN applied_order;
    CREATE ROLE "${role}" LOGIN PASSWORD 'deploy';
    GRANT USAGE, CREATE ON SCHEMA ooo_unowned TO "${role}";
    GRANT SELECT, INSERT, UPDATE, DELETE ON ooo_unowned.schema_migrations TO "${role}"`);
  try {
    const url = new URL(db.url);
    url.username = role;
    url.password = 'deploy';
    const asDeploy = { env: { DATABASE_URL: url.toString() } };
    const up = await project.run(['up', ...schema], asDeploy);
    assert.equal(up.status, 0, up.stderr);
    const columns = await sql<Array<{ column_name: string }>>`SELECT column_name FROM information_schema.columns WHERE table_schema = 'ooo_unowned' AND table_name = 'schema_migrations' AND column_name = 'applied_order'`;
    assert.equal(columns.length, 0, 'the ledger was not altered');
    const down = await project.run(['down', '--json', ...schema], asDeploy);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(versionsOf(down.stdout), [['down', 3]]);
  } finally {
    await sql.unsafe(`DROP OWNED BY "${role}"; DROP ROLE "${role}"`);
  }
});

test('redo on a ledger from before provenance adds the columns before it applies again, as up would', async () => {
  const project = await makeProject(files(1, 2), db.url);
  const schema = ['--schema', 'ooo_redo_old'];
  assert.equal((await project.run(['up', ...schema])).status, 0);
  await sql.unsafe('ALTER TABLE ooo_redo_old.schema_migrations DROP COLUMN applied_order, DROP COLUMN pgshift_version, DROP COLUMN git_commit');
  const redo = await project.run(['redo', '--json', ...schema]);
  assert.equal(redo.status, 0, redo.stderr);
  assert.deepEqual(versionsOf(redo.stdout), [['down', 2], ['up', 2]]);
  assert.deepEqual(await appliedOrder('ooo_redo_old'), [1, 2]);
});
