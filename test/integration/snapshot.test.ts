/**
 * takeSnapshot and compareSnapshots on real databases: two databases built from the same SQL compare clean,
 * one hand change to one of them is exactly one difference naming that object, and the repair statement,
 * where there is one, brings the comparison back to clean.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { repairSql } from '../../src/core/drift-repair.js';
import { silentLogger } from '../../src/core/logger.js';
import { compareSnapshots, driftMessage, type SchemaDifference } from '../../src/core/schema-diff.js';
import { entryKey } from '../../src/core/snapshot-entry.js';
import { openSession } from '../../src/db/connect.js';
import { resolveLedgerTable } from '../../src/db/ledger.js';
import type { Session } from '../../src/db/session.js';
import { takeSnapshot, type Snapshot } from '../../src/db/snapshot.js';
import { testDatabase } from '../support/database.js';

const migrations = await testDatabase(import.meta.url);
const live = await testDatabase(import.meta.url);
const ledger = resolveLedgerTable('schema_migrations', 'public');

const [{ trgm }] = await live.sql<[{ trgm: boolean }]>`SELECT count(*) > 0 AS trgm FROM pg_available_extensions WHERE name = 'pg_trgm'`;
const SCHEMA = `
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the application';
${trgm ? 'CREATE EXTENSION pg_trgm SCHEMA public;' : ''}
CREATE TYPE app.status AS ENUM ('draft', 'sent');
CREATE TYPE app.mood AS ENUM ('sad', 'ok');
CREATE DOMAIN app.positive AS integer NOT NULL CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a integer, b text);
CREATE TYPE app.span AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE SEQUENCE app.invoice_numbers AS bigint START 1000 INCREMENT 10 MAXVALUE 100000 CYCLE;
CREATE TABLE app.customers (id integer PRIMARY KEY, email text NOT NULL UNIQUE COLLATE "C");
CREATE TABLE app.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id integer REFERENCES app.customers (id) ON DELETE CASCADE ON UPDATE SET NULL,
  status app.status NOT NULL DEFAULT 'draft',
  visibility text DEFAULT 'private',
  amount app.positive,
  total numeric(10, 2) CONSTRAINT ck_total CHECK (total >= 0),
  doubled numeric GENERATED ALWAYS AS (total * 2) STORED,
  during tsrange,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ex_during EXCLUDE USING gist (during WITH &&)
);
ALTER TABLE app.orders ADD CONSTRAINT ck_late CHECK (created_at > '2000-01-01') NOT VALID;
CREATE INDEX ix_orders_created ON app.orders (created_at DESC) WHERE status = 'sent';
CREATE TABLE app.codes (code text);
CREATE UNIQUE INDEX ix_codes_code ON app.codes (code);
CREATE TABLE app.ordered (a integer, b text);
CREATE TABLE app.events (id integer, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE FOREIGN DATA WRAPPER snapshot_test_fdw;
CREATE SERVER snapshot_test_server FOREIGN DATA WRAPPER snapshot_test_fdw;
CREATE FOREIGN TABLE app.remote (id integer) SERVER snapshot_test_server OPTIONS (table_name 'remote');
CREATE VIEW app.sent_orders AS SELECT id, total FROM app.orders WHERE status = 'sent';
CREATE MATERIALIZED VIEW app.totals AS SELECT customer_id, sum(total) AS total FROM app.orders GROUP BY customer_id;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := now();
  RETURN NEW;
END $$;
CREATE PROCEDURE app.archive(before date) LANGUAGE sql AS $$ DELETE FROM app.orders WHERE created_at < before $$;
CREATE AGGREGATE app.total_of(numeric) (sfunc = numeric_add, stype = numeric, initcond = '0');
CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE TRIGGER orders_quiet AFTER INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.orders DISABLE TRIGGER orders_quiet;
ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON app.orders AS RESTRICTIVE FOR UPDATE TO PUBLIC USING (customer_id > 0) WITH CHECK (total < 1000);
COMMENT ON TABLE app.orders IS 'Orders; one per checkout';
COMMENT ON COLUMN app.orders.visibility IS 'who sees the order';
COMMENT ON CONSTRAINT ex_during ON app.orders IS 'one order at a time';
COMMENT ON FUNCTION app.touch() IS 'keeps created_at';
COMMENT ON INDEX app.ix_orders_created IS 'recent sent orders';
CREATE TABLE public.${ledger.name} (version bigint PRIMARY KEY);
`;

let sessions: { expected: Session; actual: Session };

before(async () => {
  await migrations.sql.unsafe(SCHEMA);
  // pgshift's own ledger exists only on the live side, as it would: it is never part of the schema.
  await live.sql.unsafe(SCHEMA.replace(/CREATE TABLE public\.\w+ \(version bigint PRIMARY KEY\);/, ''));
  await live.sql.unsafe(`CREATE TABLE public.${ledger.name} (version bigint PRIMARY KEY, note text)`);
  sessions = {
    expected: await openSession({ url: migrations.url }, silentLogger),
    actual: await openSession({ url: live.url }, silentLogger),
  };
  // Each database prints unqualified names for what its search_path reaches: the snapshot must not care.
  await sessions.actual.execute('SET search_path = app, public');
});

after(async () => {
  await sessions.expected.close();
  await sessions.actual.close();
});

async function snapshots(): Promise<{ expected: Snapshot; actual: Snapshot }> {
  return { expected: await takeSnapshot(sessions.expected, ledger), actual: await takeSnapshot(sessions.actual, ledger) };
}

async function compare(privileges = false): Promise<SchemaDifference[]> {
  const { expected, actual } = await snapshots();
  return compareSnapshots(expected, actual, { privileges });
}

const real = (differences: readonly SchemaDifference[]): SchemaDifference[] => differences.filter((d) => !d.cosmetic);

test('two databases built from the same SQL compare clean, whatever their search_path', async () => {
  assert.deepEqual(await compare(true), []);
  const { expected } = await snapshots();
  for (const kind of ['schema', 'table', 'partitioned table', 'foreign table', 'column', 'constraint', 'index', 'sequence', 'view',
    'materialized view', 'function', 'procedure', 'aggregate', 'trigger', 'enum', 'domain', 'composite type', 'range type',
    'extension', 'comment', 'policy', 'privileges']) {
    assert.ok([...expected.values()].some((entry) => entry.kind === kind), `the snapshot has a ${kind}`);
  }
  assert.equal(expected.get(entryKey('table', 'app.orders'))?.fields['row level security'], 'on');
  assert.match(expected.get(entryKey('constraint', 'app.orders.ck_late'))?.fields['definition'] ?? '', / NOT VALID$/);
  assert.equal(expected.get(entryKey('trigger', 'app.orders.orders_quiet'))?.fields['state'], 'disabled');
  assert.ok(![...expected.keys()].some((key) => key.includes(ledger.name)), 'the ledger is left out');
});

/** A hand change made to the live database; `repaired` is false where no statement can bring it back. */
interface HandChange {
  readonly what: string;
  readonly change: string;
  readonly object: string;
  readonly kind: SchemaDifference['change'];
  readonly message: RegExp;
  /** Undone by hand where repairSql has nothing to offer. */
  readonly undo?: string;
  /** Run before the repair: the data a repair needs (no duplicates for a unique index). */
  readonly beforeRepair?: string;
}

const CHANGES: readonly HandChange[] = [
  { what: 'a dropped index', change: 'DROP INDEX app.ix_orders_created', object: 'index app.ix_orders_created', kind: 'missing',
    message: /^index app\.ix_orders_created: missing in the database$/ },
  { what: 'an added column', change: 'ALTER TABLE app.orders ADD COLUMN note text', object: 'column app.orders.note', kind: 'extra',
    message: /^column app\.orders\.note: in the database, not in the migrations$/, undo: 'ALTER TABLE app.orders DROP COLUMN note' },
  { what: 'a changed default', change: `ALTER TABLE app.orders ALTER COLUMN visibility SET DEFAULT 'shared'`, object: 'column app.orders.visibility',
    kind: 'changed', message: /^column app\.orders\.visibility: default 'private'::text in the migrations, 'shared'::text in the database$/ },
  { what: 'a changed CHECK', change: 'ALTER TABLE app.orders DROP CONSTRAINT ck_total, ADD CONSTRAINT ck_total CHECK (total > 0)',
    object: 'constraint app.orders.ck_total', kind: 'changed',
    message: /^constraint app\.orders\.ck_total: definition CHECK \(\(total >= \(0\)::numeric\)\) in the migrations, CHECK \(\(total > \(0\)::numeric\)\) in the database$/ },
  { what: 'a replaced function body', change: `CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := clock_timestamp();
  RETURN NEW;
END $$`, object: 'function app.touch()', kind: 'changed', message: /^function app\.touch\(\): definition differs: ".*now\(\);.*" in the migrations, ".*clock_timestamp\(\);.*" in the database$/ },
  { what: 'a dropped trigger', change: 'DROP TRIGGER orders_quiet ON app.orders', object: 'trigger app.orders.orders_quiet', kind: 'missing',
    message: /^trigger app\.orders\.orders_quiet: missing in the database$/ },
  { what: 'a trigger enabled by hand', change: 'ALTER TABLE app.orders ENABLE TRIGGER orders_quiet', object: 'trigger app.orders.orders_quiet',
    kind: 'changed', message: /^trigger app\.orders\.orders_quiet: state disabled in the migrations, enabled in the database$/ },
  { what: 'an added enum value', change: `ALTER TYPE app.mood ADD VALUE 'glad'`, object: 'enum app.mood', kind: 'changed',
    message: /^enum app\.mood: labels 'sad', 'ok' in the migrations, 'sad', 'ok', 'glad' in the database$/,
    undo: `DROP TYPE app.mood; CREATE TYPE app.mood AS ENUM ('sad', 'ok')` },
  { what: 'an INVALID index', change: `DROP INDEX app.ix_codes_code; INSERT INTO app.codes VALUES ('a'), ('a')`,
    object: 'index app.ix_codes_code', kind: 'changed', message: /^index app\.ix_codes_code: state valid in the migrations, INVALID in the database$/,
    beforeRepair: `DELETE FROM app.codes` },
  { what: 'a dropped comment', change: 'COMMENT ON COLUMN app.orders.visibility IS NULL', object: 'comment on column app.orders.visibility',
    kind: 'missing', message: /^comment on column app\.orders\.visibility: missing in the database$/ },
  { what: 'an extra table', change: 'CREATE TABLE app.audit_copy (id integer PRIMARY KEY, body text)', object: 'table app.audit_copy',
    kind: 'extra', message: /^table app\.audit_copy: in the database, not in the migrations$/, undo: 'DROP TABLE app.audit_copy' },
  { what: 'a changed view', change: `CREATE OR REPLACE VIEW app.sent_orders AS SELECT id, total FROM app.orders WHERE status = 'draft'`,
    object: 'view app.sent_orders', kind: 'changed', message: /^view app\.sent_orders: definition differs: /, },
];

for (const hand of CHANGES) {
  test(`${hand.what} is one difference naming it, ${hand.undo ? 'left to a person' : 'and its repair makes the compare clean'}`, async () => {
    await live.sql.unsafe(hand.change);
    if (hand.what === 'an INVALID index') {
      await assert.rejects(live.sql.unsafe('CREATE UNIQUE INDEX CONCURRENTLY ix_codes_code ON app.codes (code)'), /could not create unique index/);
    }
    const { expected, actual } = await snapshots();
    const differences = real(compareSnapshots(expected, actual, { privileges: false }));
    assert.deepEqual(differences.map((d) => [d.object, d.change]), [[hand.object, hand.kind]]);
    const [difference] = differences as [SchemaDifference];
    assert.match(driftMessage(difference), hand.message);
    const sql = repairSql(difference, expected, actual);
    if (hand.undo) {
      assert.equal(sql, undefined, 'by hand');
      await live.sql.unsafe(hand.undo);
    } else {
      assert.ok(sql, 'a repair statement');
      if (hand.beforeRepair) await live.sql.unsafe(hand.beforeRepair);
      await live.sql.unsafe(sql);
    }
    assert.deepEqual(await compare(true), [], `after ${sql ?? hand.undo}`);
  });
}

test('a function body that differs only in layout, and a column order, are cosmetic only', async () => {
  await live.sql.unsafe(`CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_at   :=   now();
    RETURN NEW;
END $$;
DROP TABLE app.ordered; CREATE TABLE app.ordered (b text, a integer);`);
  const differences = await compare(true);
  assert.deepEqual(real(differences), []);
  assert.deepEqual(differences.map((d) => d.object), ['function app.touch()', 'column app.ordered.a', 'column app.ordered.b'], 'by group');
  assert.match(driftMessage(differences[1] as SchemaDifference), /^column app\.ordered\.a: position 1 in the migrations, 2 in the database$/);
  await live.sql.unsafe(`CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := 'now()';
  RETURN NEW;
END $$`);
  assert.deepEqual(real(await compare()).map((d) => d.object), ['function app.touch()'], 'a quote is not layout');
  await live.sql.unsafe(`CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := now();
  RETURN NEW;
END $$; DROP TABLE app.ordered; CREATE TABLE app.ordered (a integer, b text);`);
  assert.deepEqual(await compare(true), []);
});

test('owners and grants are compared only when asked for', async () => {
  await live.sql.unsafe('GRANT SELECT ON app.orders TO PUBLIC; ALTER FUNCTION app.touch() OWNER TO pg_monitor');
  assert.deepEqual(await compare(false), []);
  const differences = await compare(true);
  assert.deepEqual(differences.map((d) => [d.object, d.fields.map((f) => f.field)]), [
    ['privileges on function app.touch()', ['owner', 'grants']],
    ['privileges on table app.orders', ['grants']],
  ]);
  await live.sql.unsafe('REVOKE SELECT ON app.orders FROM PUBLIC; ALTER FUNCTION app.touch() OWNER TO CURRENT_USER');
  assert.deepEqual(await compare(true), []);
});

test("an extension's objects appear only as the extension; another version of it is a difference", async (t) => {
  if (!trgm) {
    t.skip('pg_trgm is not installed on this server (pg_available_extensions): the extension checks need it');
    return;
  }
  const { expected } = await snapshots();
  assert.deepEqual(expected.get(entryKey('extension', 'pg_trgm'))?.fields, { version: (await trgmVersion()).installed, schema: 'public' });
  assert.ok(![...expected.keys()].some((key) => /trgm|similarity/.test(key) && !key.includes('extension pg_trgm')), 'nothing of pg_trgm but itself');
  const older = (await trgmVersion()).older;
  if (older === undefined) {
    t.diagnostic('pg_trgm has no other version on this server: the version check is not run');
    return;
  }
  await live.sql.unsafe(`DROP EXTENSION pg_trgm; CREATE EXTENSION pg_trgm VERSION '${older}' SCHEMA public`);
  const differences = await compare();
  assert.deepEqual(differences.map((d) => [d.object, d.fields]), [
    ['extension pg_trgm', [{ field: 'version', expected: (await trgmVersion(migrations.sql)).installed, actual: older }]],
  ]);
  await live.sql.unsafe('ALTER EXTENSION pg_trgm UPDATE');
  assert.deepEqual(await compare(), []);
});

async function trgmVersion(sql = live.sql): Promise<{ installed: string; older: string | undefined }> {
  const [row] = await sql<[{ installed: string; older: string | null }]>`
    SELECT (SELECT extversion FROM pg_extension WHERE extname = 'pg_trgm') AS installed,
           (SELECT max(version) FROM pg_available_extension_versions WHERE name = 'pg_trgm' AND version <> e.default_version) AS older
      FROM pg_available_extensions e WHERE e.name = 'pg_trgm'`;
  return { installed: row.installed, older: row.older ?? undefined };
}

test('the snapshot leaves the search_path as it was, outside a transaction and inside one, and can keep to some schemas', async () => {
  const path = async (): Promise<string> => (await sessions.actual.query<{ p: string }>(`SELECT current_setting('search_path') AS p`)).rows[0]?.p ?? '';
  await takeSnapshot(sessions.actual, ledger);
  assert.equal(await path(), 'app, public');
  await sessions.actual.execute('BEGIN; SET LOCAL search_path = public');
  try {
    const inside = await takeSnapshot(sessions.actual, ledger, { schemas: ['app'] });
    assert.equal(await path(), 'public');
    assert.ok(inside.has(entryKey('table', 'app.orders')));
    assert.ok(![...inside.values()].some((entry) => entry.name.startsWith('public.') || entry.name === 'public'), 'only app');
  } finally {
    await sessions.actual.execute('ROLLBACK');
  }
  assert.equal(await path(), 'app, public');
});
