/**
 * drift: a database just migrated has none; each change made by hand afterwards is found and named, alone,
 * with the change it is. Every test works on its own copy (CREATE DATABASE ... TEMPLATE) of one database
 * migrated once with the long generated history, so a hand change never leaks into the next test. Each
 * change is found by `drift --json`, and its text is the CLI's own rendering of that answer: one test checks
 * that `drift` without --json prints exactly that rendering, so the others need not replay the history again
 * to print it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testDatabase } from '../support/database.js';
import { driftHistory } from '../support/drift-history.js';
import { databaseCopies, driftJson, pgshiftPid, scratchLeft, type DriftItem } from '../support/drift.js';
import { driftText } from '../../src/cli/render-drift.js';
import type { DriftReport } from '../../src/migrator-types.js';
import { copyOfRepository, makeProject } from '../support/project.js';

const base = await testDatabase(import.meta.url);
const history = driftHistory(150);
const project = await makeProject(history, base.url);

const migrated = await project.run(['up']);
assert.equal(migrated.status, 0, migrated.stderr);

const copy = databaseCopies(base);

test("the repository's own migrations: no drift right after up, and the scratch database is gone", async () => {
  const db = await testDatabase(`${import.meta.url}-repository`);
  const repository = await copyOfRepository(db.url);
  assert.equal((await repository.run(['up'])).status, 0);
  const { run, answer } = await driftJson(repository);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(answer, { drift: false, replayed: 2, scratch: 'server', differences: [], cosmetic: [] });
  assert.deepEqual(await scratchLeft(db.sql, pgshiftPid(run.stderr)), []);
});

test('the generated history of 150 files: no drift right after up, also with --privileges', async () => {
  const { url } = await copy();
  for (const args of [[], ['--privileges']]) {
    const { run, answer } = await driftJson(project, args, { DATABASE_URL: url });
    assert.equal(run.status, 0, `drift ${args.join(' ')}: ${run.stdout}${run.stderr}`);
    assert.deepEqual(answer, { drift: false, replayed: 150, scratch: 'server', differences: [], cosmetic: [] }, `drift ${args.join(' ')}`);
    assert.equal(driftText(answer as DriftReport), "no drift: the database matches its 150 applied migrations (rebuilt in a scratch database on the target's server)\n");
  }
});

interface Expected {
  readonly kind: string;
  readonly name: string;
  readonly change: DriftItem['change'];
  /** The fields that changed, for `changed` objects. */
  readonly fields?: readonly string[];
}

/**
 * Drift after `change` finds exactly the `expected` object (exit 3), and its text names it. With `printed`,
 * `drift` without --json also runs, and must print what the answer renders to.
 */
async function findsOnly(change: string, expected: Expected, { printed = false } = {}): Promise<{ item: DriftItem; text: string }> {
  const { url, sql } = await copy();
  await sql.unsafe(change);
  const { run, answer } = await driftJson(project, [], { DATABASE_URL: url });
  assert.equal(run.status, 3, `${run.stdout}${run.stderr}`);
  assert.equal(answer.drift, true);
  assert.deepEqual(answer.cosmetic, []);
  assert.deepEqual(
    answer.differences.map(({ kind, name, change }) => ({ kind, name, change })),
    [{ kind: expected.kind, name: expected.name, change: expected.change }],
    JSON.stringify(answer.differences, null, 2),
  );
  const item = answer.differences[0]!;
  // A comment is named after what it is on: "comment on column public.t.c".
  assert.equal(item.object, expected.kind === 'comment' ? `comment on ${expected.name}` : `${expected.kind} ${expected.name}`);
  if (expected.fields) assert.deepEqual(item.fields.map((f) => f.field), expected.fields, JSON.stringify(item.fields));
  const text = driftText(answer as DriftReport);
  assert.ok(text.includes(item.name), `the text output names ${item.name}:\n${text}`);
  if (printed) {
    const run = await project.run(['drift'], { env: { DATABASE_URL: url } });
    assert.equal(run.status, 3, run.stderr);
    assert.equal(run.stdout, text);
  }
  return { item, text };
}

test('a dropped index is missing, worded under its table', async () => {
  const { item, text } = await findsOnly(
    'DROP INDEX ix_customers_name_lower',
    { kind: 'index', name: 'public.ix_customers_name_lower', change: 'missing' },
    { printed: true },
  );
  assert.equal(item.group, 'table public.customers');
  assert.equal(item.message, 'index public.ix_customers_name_lower: missing in the database');
  assert.equal(
    text,
    "drift: 1 difference between the database and its 150 applied migrations (rebuilt in a scratch database on the target's server)\n" +
      '\ntable public.customers\n  index public.ix_customers_name_lower: missing in the database\n',
  );
});

test('an added column is extra', async () => {
  const { item } = await findsOnly('ALTER TABLE customers ADD COLUMN nickname text', { kind: 'column', name: 'public.customers.nickname', change: 'extra' });
  assert.equal(item.message, 'column public.customers.nickname: in the database, not in the migrations');
});

test('a changed default is a changed column, with both defaults', async () => {
  const { item } = await findsOnly(`ALTER TABLE customers ALTER COLUMN name SET DEFAULT 'someone'`, {
    kind: 'column',
    name: 'public.customers.name',
    change: 'changed',
    fields: ['default'],
  });
  assert.deepEqual(item.fields, [{ field: 'default', expected: "'anonymous'::text", actual: "'someone'::text" }]);
});

test('a changed CHECK is a changed constraint, with both definitions', async () => {
  const { item } = await findsOnly(
    'ALTER TABLE customers DROP CONSTRAINT ck_customers_name, ADD CONSTRAINT ck_customers_name CHECK (length(name) <= 100)',
    { kind: 'constraint', name: 'public.customers.ck_customers_name', change: 'changed' },
  );
  assert.match(JSON.stringify(item.fields), /200.*100/);
});

test('a replaced function body is a changed function', async () => {
  const { item } = await findsOnly(
    `CREATE OR REPLACE FUNCTION quote_money(amount numeric) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN 'EUR ' || amount; END; $$`,
    { kind: 'function', name: 'public.quote_money(amount numeric)', change: 'changed' },
  );
  assert.match(JSON.stringify(item.fields), /EUR/);
});

test('a dropped trigger is missing', async () => {
  await findsOnly('DROP TRIGGER tr_customers_touch ON customers', { kind: 'trigger', name: 'public.customers.tr_customers_touch', change: 'missing' });
});

test('an added enum value is a changed enum', async () => {
  const { item } = await findsOnly(`ALTER TYPE billing.invoice_status ADD VALUE 'refunded'`, {
    kind: 'enum',
    name: 'billing.invoice_status',
    change: 'changed',
  });
  assert.match(JSON.stringify(item.fields), /refunded/);
});

test('an INVALID index left by a failed CREATE UNIQUE INDEX CONCURRENTLY is extra', async () => {
  const { url, sql } = await copy();
  await sql`INSERT INTO rooms VALUES (1, 'a'), (2, 'b')`;
  await sql`INSERT INTO bookings (room_id, during) VALUES (1, '[2026-01-01,2026-01-02)'), (1, '[2026-02-01,2026-02-02)')`;
  await assert.rejects(sql.unsafe('CREATE UNIQUE INDEX CONCURRENTLY ux_bookings_room ON bookings (room_id)'), /could not create unique index/);
  const { run, answer } = await driftJson(project, [], { DATABASE_URL: url });
  assert.equal(run.status, 3, run.stderr);
  assert.deepEqual(answer.differences.map(({ object, change, fields, message, sql }) => ({ object, change, fields, message, sql })), [
    {
      object: 'index public.ux_bookings_room',
      change: 'extra',
      fields: [{ field: 'state', expected: null, actual: 'INVALID' }],
      message: 'index public.ux_bookings_room: in the database, not in the migrations (INVALID: what a failed CREATE INDEX CONCURRENTLY leaves)',
      sql: 'DROP INDEX public.ux_bookings_room;',
    },
  ]);
});

test('a dropped comment is missing', async () => {
  const { item } = await findsOnly('COMMENT ON COLUMN customers.email IS NULL', {
    kind: 'comment',
    name: 'column public.customers.email',
    change: 'missing',
  });
  assert.match(JSON.stringify(item), /Where invoices are sent/);
});

test('an extra table is one difference, not one per column', async () => {
  await findsOnly('CREATE TABLE hand_made (id int PRIMARY KEY, note text)', { kind: 'table', name: 'public.hand_made', change: 'extra' });
});

test('a changed view is a changed view, with both definitions', async () => {
  const { item } = await findsOnly(
    `CREATE OR REPLACE VIEW billing.open_invoices AS
       SELECT i.id, i.number, c.email, i.total FROM billing.invoices i JOIN customers c ON c.id = i.customer_id WHERE i.status = 'sent'`,
    { kind: 'view', name: 'billing.open_invoices', change: 'changed' },
  );
  assert.match(JSON.stringify(item.fields), /draft.*sent|sent.*draft/s);
});

test('a function replaced by the same body with other whitespace is cosmetic: exit 0, listed under cosmetic', async () => {
  const { url, sql } = await copy();
  await sql.unsafe(`CREATE OR REPLACE FUNCTION quote_money(amount numeric) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
    -- A $$ in this body is text, not its end.
    RETURN   '$$' || to_char(amount, 'FM999990.00');
END;
$fn$`);
  const { run, answer } = await driftJson(project, [], { DATABASE_URL: url });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.equal(answer.drift, false);
  assert.deepEqual(answer.differences, []);
  assert.deepEqual(answer.cosmetic.map(({ object }) => object), ['function public.quote_money(amount numeric)']);
});

test('driftHistory is the same every call, numbered without gaps, and grows to the length asked (300 for the bench)', () => {
  assert.deepEqual(driftHistory(150), history);
  const long = Object.keys(driftHistory(300)).filter((path) => path.startsWith('migrations/'));
  assert.equal(long.length, 300);
  assert.deepEqual(long.map((path) => Number(path.slice('migrations/'.length, -'.sql'.length).split('_')[0])), Array.from({ length: 300 }, (_, i) => i + 1));
});
