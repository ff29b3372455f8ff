/**
 * traceFile on a real server: each statement's locks and catalog changes, read on a table that holds rows,
 * as PostgreSQL decides them (a constant default rewrites nothing, a volatile one rewrites the table).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checksumOf } from '../../src/core/checksum.js';
import { isPgshiftError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { lockRank, relationKey, type CatalogChange, type FileTrace, type LockMode, type StatementTrace } from '../../src/core/trace-types.js';
import type { SqlFile } from '../../src/core/types.js';
import { openSession } from '../../src/db/connect.js';
import { resolveLedgerTable } from '../../src/db/ledger.js';
import type { Session } from '../../src/db/session.js';
import { traceFile, type TraceOptions } from '../../src/executor/trace.js';
import { testDatabase } from '../support/database.js';

const db = await testDatabase(import.meta.url);
let session: Session;

before(async () => {
  session = await openSession({ url: db.url }, silentLogger);
});

after(async () => {
  await session.close();
});

let versions = 0;

function sqlFile(text: string): SqlFile {
  const version = ++versions;
  return { kind: 'migration', version, name: 'step', path: `migrations/${String(version).padStart(3, '0')}_step.sql`, text, checksum: checksumOf(text) };
}

function trace(text: string, options: TraceOptions = {}, signal?: AbortSignal): Promise<FileTrace> {
  return traceFile({ session, table: resolveLedgerTable('schema_migrations', 'public'), logger: silentLogger, signal }, sqlFile(text), options);
}

/** A table with a few thousand rows, so that a rewrite or a scan is real work. */
async function table(name: string, columns = 'id integer PRIMARY KEY, n integer'): Promise<void> {
  await db.sql.unsafe(`CREATE TABLE ${name} (${columns}); INSERT INTO ${name} (id, n) SELECT g, g FROM generate_series(1, 3000) g`);
}

function statement(traced: FileTrace, number = 1): StatementTrace {
  const found = traced.statements[number - 1];
  assert.ok(found, `statement ${number} was traced`);
  return found;
}

const lockOn = (traced: StatementTrace, name: string): LockMode | undefined => traced.locks.find((lock) => lock.relation.name === name)?.mode;
const kinds = (traced: StatementTrace): string[] => traced.changes.map((change) => change.kind);
const change = <K extends CatalogChange['kind']>(traced: StatementTrace, kind: K): Extract<CatalogChange, { kind: K }> | undefined =>
  traced.changes.find((found): found is Extract<CatalogChange, { kind: K }> => found.kind === kind);

test('CREATE INDEX takes SHARE on its table and creates an index on it', async () => {
  await table('ix_plain');
  const traced = statement(await trace('CREATE INDEX ix_plain_n ON ix_plain (n);\n'));
  assert.equal(lockOn(traced, 'ix_plain'), 'ShareLock');
  assert.equal(traced.observed, 'after');
  assert.deepEqual(change(traced, 'index-created'), { kind: 'index-created', table: { schema: 'public', name: 'ix_plain', kind: 'table' }, index: 'ix_plain_n' });
  assert.ok(!kinds(traced).includes('rewrite'), 'building an index rewrites nothing');
  assert.deepEqual({ line: traced.line, column: traced.column, summary: traced.summary }, { line: 1, column: 1, summary: 'CREATE INDEX ix_plain_n ON ix_plain (n)' });
});

test('CREATE INDEX CONCURRENTLY runs alone, takes nothing stronger than SHARE UPDATE EXCLUSIVE, and is unobserved without an observer', async () => {
  await table('ix_concurrent');
  const traced = await trace('-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_concurrent_n ON ix_concurrent (n);\n');
  assert.equal(traced.transaction, false);
  const only = statement(traced);
  assert.equal(only.observed, 'unobserved');
  assert.ok(only.locks.every((lock) => lockRank(lock.mode) <= lockRank('ShareUpdateExclusiveLock')));
  assert.equal(change(only, 'index-created')?.index, 'ix_concurrent_n');
  assert.equal(only.line, 2);
});

test('with an observer, CREATE INDEX CONCURRENTLY is seen while it waits, holding SHARE UPDATE EXCLUSIVE', async () => {
  await table('ix_watched');
  const opened: Session[] = [];
  const openObserver = async (): Promise<Session> => {
    const observer = await openSession({ url: db.url }, silentLogger);
    opened.push(observer);
    return observer;
  };
  const traced = statement(await trace('-- pgshift:no-transaction\nCREATE INDEX CONCURRENTLY ix_watched_n ON ix_watched (n);\n', { openObserver }));
  assert.equal(traced.observed, 'while-waiting');
  assert.equal(lockOn(traced, 'ix_watched'), 'ShareUpdateExclusiveLock');
  assert.equal(change(traced, 'index-created')?.index, 'ix_watched_n');
  const [{ valid }] = await db.sql<[{ valid: boolean }]>`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'ix_watched_n'::regclass`;
  assert.equal(valid, true, 'the build finished once the observer let it go');
  assert.equal(opened.length, 1);
  const [{ left }] = await db.sql<[{ left: number }]>`SELECT count(*)::int AS left FROM pg_stat_activity WHERE pid = ${opened[0]?.info.pid ?? 0}`;
  assert.equal(left, 0, 'the observer is closed');
});

test('with an observer, a statement that never waits for it (VACUUM) is unobserved and not held back', async () => {
  await table('vacuumed');
  const started = performance.now();
  const traced = statement(await trace('-- pgshift:no-transaction\nVACUUM vacuumed;\n', { openObserver: () => openSession({ url: db.url }, silentLogger) }));
  assert.deepEqual([traced.observed, traced.locks], ['unobserved', []]);
  assert.ok(performance.now() - started < 5000);
});

test('a failing CREATE INDEX CONCURRENTLY under an observer fails as itself and lets the observer go', async () => {
  await table('ix_failing');
  await db.sql.unsafe('INSERT INTO ix_failing VALUES (3001, 1)');
  const error = await trace('-- pgshift:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY ix_failing_n ON ix_failing (n);\n', {
    openObserver: () => openSession({ url: db.url }, silentLogger),
  }).then(() => undefined, (thrown: unknown) => thrown);
  assert.ok(isPgshiftError(error), String(error));
  assert.equal(error.code, 'MIGRATION_FAILED');
  assert.match(error.message, /_step\.sql:2:1: could not create unique index/);
  const [{ others }] = await db.sql<[{ others: number }]>`SELECT count(*)::int AS others FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`;
  assert.equal(others, 0, 'no observer is left in a transaction');
});

test('ADD COLUMN with a constant default rewrites nothing', async () => {
  await table('add_constant');
  const traced = statement(await trace("ALTER TABLE add_constant ADD COLUMN note text NOT NULL DEFAULT 'none';\n"));
  assert.deepEqual(kinds(traced), ['column-added']);
  assert.equal(change(traced, 'column-added')?.column, 'note');
  assert.equal(lockOn(traced, 'add_constant'), 'AccessExclusiveLock');
});

test('ADD COLUMN with a volatile default rewrites the table', async () => {
  await table('add_volatile');
  const traced = statement(await trace('ALTER TABLE add_volatile ADD COLUMN at timestamptz DEFAULT clock_timestamp();\n'));
  assert.ok(traced.changes.some((found) => found.kind === 'rewrite' && found.relation.name === 'add_volatile'), JSON.stringify(traced.changes));
  assert.equal(change(traced, 'column-added')?.column, 'at');
});

test('integer to bigint rewrites the table (and its indexes) and changes the type', async () => {
  await table('to_bigint');
  const traced = statement(await trace('ALTER TABLE to_bigint ALTER COLUMN n TYPE bigint;\n'));
  const rewritten = traced.changes.flatMap((found) => (found.kind === 'rewrite' ? [relationKey(found.relation)] : []));
  assert.deepEqual(rewritten, ['public.to_bigint', 'public.to_bigint_pkey']);
  assert.deepEqual(change(traced, 'column-type'), {
    kind: 'column-type',
    table: { schema: 'public', name: 'to_bigint', kind: 'table' },
    column: 'n',
    from: 'integer',
    to: 'bigint',
  });
});

test('varchar(10) to varchar(20) changes the type without a rewrite', async () => {
  await table('widen', 'id integer PRIMARY KEY, n integer, code varchar(10)');
  const traced = statement(await trace('ALTER TABLE widen ALTER COLUMN code TYPE varchar(20);\n'));
  assert.deepEqual(kinds(traced), ['column-type']);
  assert.deepEqual([change(traced, 'column-type')?.from, change(traced, 'column-type')?.to], ['character varying(10)', 'character varying(20)']);
});

test('ADD CONSTRAINT CHECK is added validated under ACCESS EXCLUSIVE', async () => {
  await table('checked');
  const traced = statement(await trace('ALTER TABLE checked ADD CONSTRAINT checked_n CHECK (n > 0);\n'));
  assert.equal(lockOn(traced, 'checked'), 'AccessExclusiveLock');
  assert.deepEqual(change(traced, 'constraint-added'), {
    kind: 'constraint-added',
    table: { schema: 'public', name: 'checked', kind: 'table' },
    constraint: 'checked_n',
    type: 'check',
    validated: true,
  });
});

test('NOT VALID adds it unvalidated; VALIDATE CONSTRAINT in a later file validates it under SHARE UPDATE EXCLUSIVE only', async () => {
  await table('later');
  const added = statement(await trace('ALTER TABLE later ADD CONSTRAINT later_n CHECK (n > 0) NOT VALID;\n'));
  assert.equal(change(added, 'constraint-added')?.validated, false);
  const validated = statement(await trace('ALTER TABLE later VALIDATE CONSTRAINT later_n;\n'));
  assert.deepEqual(kinds(validated), ['constraint-validated']);
  assert.equal(change(validated, 'constraint-validated')?.constraint, 'later_n');
  assert.deepEqual(validated.locks.filter((lock) => lock.relation.name === 'later').map((lock) => lock.mode), ['ShareUpdateExclusiveLock']);
});

test('SET NOT NULL sets not null on a column that existed', async () => {
  await table('required');
  const traced = statement(await trace('ALTER TABLE required ALTER COLUMN n SET NOT NULL;\n'));
  assert.equal(change(traced, 'not-null-set')?.column, 'n');
  assert.ok(!kinds(traced).includes('rewrite'));
});

test('ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables and names the referenced one', async () => {
  await table('parents');
  await table('children');
  const traced = statement(await trace('ALTER TABLE children ADD CONSTRAINT children_parent FOREIGN KEY (n) REFERENCES parents (id);\n'));
  assert.equal(lockOn(traced, 'children'), 'ShareRowExclusiveLock');
  assert.equal(lockOn(traced, 'parents'), 'ShareRowExclusiveLock');
  const added = change(traced, 'constraint-added');
  assert.deepEqual([added?.type, added?.validated, added?.references], ['foreign key', true, { schema: 'public', name: 'parents', kind: 'table' }]);
});

test('in a transactional file a lock taken by the first statement is still held at the fourth', async () => {
  await table('held_a');
  await table('held_b');
  const traced = await trace(`ALTER TABLE held_a ADD COLUMN x integer;
SELECT count(*) FROM held_b;
CREATE TABLE held_log (id integer);
INSERT INTO held_log VALUES (1);
`);
  assert.equal(lockOn(statement(traced, 1), 'held_a'), 'AccessExclusiveLock');
  assert.equal(lockOn(statement(traced, 4), 'held_a'), 'AccessExclusiveLock');
  assert.equal(lockOn(statement(traced, 4), 'held_b'), 'AccessShareLock');
  assert.equal(statement(traced, 4).line, 4);
});

test('a no-transaction file commits each statement and reads its locks before that', async () => {
  await table('each');
  const traced = await trace('-- pgshift:no-transaction\nALTER TABLE each ADD COLUMN x integer;\nSELECT count(*) FROM each;\n');
  assert.deepEqual(traced.statements.map((found) => [found.observed, lockOn(found, 'each')]), [['after', 'AccessExclusiveLock'], ['after', 'AccessShareLock']]);
});

test('a table the file creates is never reported', async () => {
  const traced = await trace(`CREATE TABLE fresh (id integer PRIMARY KEY, n integer);
INSERT INTO fresh SELECT g, g FROM generate_series(1, 3000) g;
CREATE INDEX fresh_n ON fresh (n);
ALTER TABLE fresh ADD COLUMN at timestamptz DEFAULT clock_timestamp(), ADD CONSTRAINT fresh_n_positive CHECK (n > 0);
`);
  assert.equal(traced.statements.length, 4);
  for (const found of traced.statements) assert.deepEqual([found.locks, found.changes], [[], []]);
});

test('a failing statement stops the trace naming file and line, and rolls back the scratch transaction', async () => {
  await table('failing');
  const file = 'ALTER TABLE failing ADD COLUMN gone integer;\nSELECT 1;\nALTER TABLE failing ADD COLUMN n integer;\n';
  const error = await trace(file).then(() => undefined, (thrown: unknown) => thrown);
  assert.ok(isPgshiftError(error), String(error));
  assert.equal(error.code, 'MIGRATION_FAILED');
  assert.match(error.message, new RegExp(`^migrations/${String(versions).padStart(3, '0')}_step\\.sql fails on the scratch copy.*_step\\.sql:3:\\d+: .*already exists`));
  assert.ok(error.hint);
  const [{ columns }] = await db.sql<[{ columns: number }]>`SELECT count(*)::int AS columns FROM pg_attribute WHERE attrelid = 'failing'::regclass AND attname = 'gone'`;
  assert.equal(columns, 0, 'the first statement was rolled back');
  // Outside a transaction block now() is this statement's own start; inside one, the transaction's.
  const { rows } = await session.query<{ fresh: boolean }>('SELECT now() = statement_timestamp() AS fresh');
  assert.equal(rows[0]?.fresh, true, 'the session is out of the failed transaction');
  assert.equal(statement(await trace('SELECT 1;\n')).observed, 'after', 'and traces the next file');
});

test('an interrupt cancels the running statement and rolls back the file', async () => {
  await table('interrupted');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const started = performance.now();
  const error = await trace('ALTER TABLE interrupted ADD COLUMN gone integer;\nSELECT pg_sleep(30);\n', {}, controller.signal).then(() => undefined, (thrown: unknown) => thrown);
  assert.ok(isPgshiftError(error), String(error));
  assert.equal(error.code, 'INTERRUPTED');
  assert.ok(performance.now() - started < 10_000);
  const [{ columns }] = await db.sql<[{ columns: number }]>`SELECT count(*)::int AS columns FROM pg_attribute WHERE attrelid = 'interrupted'::regclass AND attname = 'gone'`;
  assert.equal(columns, 0);
});
