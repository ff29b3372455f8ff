/**
 * drift --sql: the statements that bring a drifted database back to its migrations where that is mechanical
 * (run as printed, they leave no drift), and a "by hand" line where it is not. drift itself never applies them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type postgres from 'postgres';
import { testDatabase } from '../support/database.js';
import { driftHistory } from '../support/drift-history.js';
import { databaseCopies, driftJson } from '../support/drift.js';
import { makeProject } from '../support/project.js';

const base = await testDatabase(import.meta.url);
const project = await makeProject(driftHistory(60), base.url);
const migrated = await project.run(['up']);
assert.equal(migrated.status, 0, migrated.stderr);
const copies = databaseCopies(base);

const copy = async (): Promise<{ env: { DATABASE_URL: string }; sql: postgres.Sql }> => {
  const { url, sql } = await copies();
  return { env: { DATABASE_URL: url }, sql };
};

const mechanical: Array<[string, string, RegExp]> = [
  ['a dropped index', 'DROP INDEX ix_customers_name_lower', /^CREATE INDEX ix_customers_name_lower ON public\.customers USING btree \(lower\(name\)\);?$/m],
  ['a dropped comment', 'COMMENT ON COLUMN customers.email IS NULL', /^COMMENT ON COLUMN public\.customers\.email IS 'Where invoices are sent';?$/m],
  ['a changed default', `ALTER TABLE customers ALTER COLUMN name SET DEFAULT 'someone'`, /^ALTER TABLE public\.customers ALTER COLUMN name SET DEFAULT 'anonymous'::text;?$/m],
];

for (const [what, change, statement] of mechanical) {
  test(`--sql prints the statement that undoes ${what}; run as printed, it leaves no drift`, async () => {
    const { env, sql } = await copy();
    await sql.unsafe(change);
    const printed = await project.run(['drift', '--sql'], { env });
    assert.equal(printed.status, 3, printed.stderr);
    assert.match(printed.stdout, statement);
    assert.doesNotMatch(printed.stdout, /by hand/);
    const { answer } = await driftJson(project, [], env);
    assert.match(answer.differences[0]?.sql ?? '', statement);
    await sql.unsafe(printed.stdout);
    const { run, answer: after } = await driftJson(project, [], env);
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.deepEqual(after.differences, []);
  });
}

test('--sql says "by hand" for an added column (dropping it may lose data) and never changes the database', async () => {
  const { env, sql } = await copy();
  await sql`ALTER TABLE customers ADD COLUMN nickname text`;
  const printed = await project.run(['drift', '--sql'], { env });
  assert.equal(printed.status, 3, printed.stderr);
  // The object is named on the by-hand line or on the heading just above it.
  assert.match(printed.stdout, /public\.customers\.nickname[^\n]*(\n[^\n]*)?-- by hand: /);
  assert.doesNotMatch(printed.stdout, /^\s*(ALTER|DROP)\b/im);
  const { answer } = await driftJson(project, [], env);
  assert.deepEqual(answer.differences.map((d) => [d.object, d.sql]), [['column public.customers.nickname', null]]);
  const [{ still }] = await sql<[{ still: boolean }]>`SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname = 'nickname') AS still`;
  assert.equal(still, true, 'drift --sql changes nothing');
});
