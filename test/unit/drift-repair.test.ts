/** repairSql on hand-made snapshots: the statement for each mechanical difference, undefined for by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repairSql } from '../../src/core/drift-repair.js';
import { compareSnapshots } from '../../src/core/schema-diff.js';
import { entryKey, type Snapshot, type SnapshotEntry } from '../../src/core/snapshot-entry.js';

const snapshot = (...entries: SnapshotEntry[]): Snapshot => new Map(entries.map((entry) => [entryKey(entry.kind, entry.name), entry]));

/** The repair of each non-cosmetic difference between the two, in compareSnapshots' order. */
function repairs(expected: Snapshot, actual: Snapshot): Array<string | undefined> {
  return compareSnapshots(expected, actual, { privileges: true }).map((difference) => repairSql(difference, expected, actual));
}

const T = 'public."User Sessions"';
const table: SnapshotEntry = { kind: 'table', name: T, group: `table ${T}`, fields: { 'row level security': 'off', 'force row level security': 'off' },
  repair: { comment: `TABLE ${T}` } };
const index = (state = 'valid'): SnapshotEntry => ({
  kind: 'index', name: 'public.ix', group: `table ${T}`, fields: { definition: `CREATE UNIQUE INDEX ix ON ${T} USING btree (a)`, state }, repair: { comment: 'INDEX public.ix' },
});
const comment = (on: SnapshotEntry, text: string): SnapshotEntry =>
  ({ kind: 'comment', name: entryKey(on.kind, on.name), group: on.group, fields: { text }, repair: { target: on.repair?.['comment'] ?? '' } });
const fn = (body: string): SnapshotEntry => ({
  kind: 'function', name: 'public.touch()', group: 'function public.touch()',
  fields: { definition: `CREATE OR REPLACE FUNCTION public.touch()\n RETURNS integer\n LANGUAGE sql\nAS $function$${body}$function$\n` },
  repair: { comment: 'FUNCTION public.touch()' },
});
const trigger = (state: string, definition = `CREATE TRIGGER "Touch" BEFORE UPDATE ON ${T} FOR EACH ROW EXECUTE FUNCTION public.touch()`): SnapshotEntry => ({
  kind: 'trigger', name: `${T}."Touch"`, group: `table ${T}`, fields: { definition, state }, repair: { table: T, trigger: '"Touch"', comment: `TRIGGER "Touch" ON ${T}` },
});
const column = (fields: Record<string, string>): SnapshotEntry =>
  ({ kind: 'column', name: `${T}.a`, group: `table ${T}`, fields: { type: 'text', 'not null': 'no', ...fields }, cosmetic: { position: '1' }, repair: { table: T, column: 'a' } });
const constraint = (definition: string, type = 'c'): SnapshotEntry => ({
  kind: 'constraint', name: `${T}.ck`, group: `table ${T}`, fields: { definition }, repair: { on: `TABLE ${T}`, constraint: 'ck', type },
});
const policy = (using: string): SnapshotEntry => ({
  kind: 'policy', name: `${T}.own`, group: `table ${T}`,
  fields: { command: 'UPDATE', type: 'RESTRICTIVE', roles: 'PUBLIC', using, 'with check': '(b < 10)' }, repair: { table: T, policy: 'own' },
});
const view = (definition: string): SnapshotEntry => ({ kind: 'view', name: 'public.v', group: 'view public.v', fields: { definition } });

test('indexes: a missing one is created with its comment, an extra one dropped, an INVALID one made again', () => {
  assert.deepEqual(repairs(snapshot(table, index(), comment(index(), "it's hot")), snapshot(table)), [
    `CREATE UNIQUE INDEX ix ON ${T} USING btree (a);\nCOMMENT ON INDEX public.ix IS 'it''s hot';`,
  ]);
  assert.deepEqual(repairs(snapshot(table), snapshot(table, index())), ['DROP INDEX public.ix;']);
  assert.deepEqual(repairs(snapshot(index()), snapshot(index('INVALID'))), [`DROP INDEX public.ix;\nCREATE UNIQUE INDEX ix ON ${T} USING btree (a);`]);
});

test("routines: the migrations' definition replaces or creates; an extra one is by hand", () => {
  const create = 'CREATE OR REPLACE FUNCTION public.touch()\n RETURNS integer\n LANGUAGE sql\nAS $function$SELECT 1$function$;';
  assert.deepEqual(repairs(snapshot(fn('SELECT 1')), snapshot(fn('SELECT 2'))), [create]);
  assert.deepEqual(repairs(snapshot(fn('SELECT 1')), snapshot()), [create]);
  assert.deepEqual(repairs(snapshot(), snapshot(fn('SELECT 1'))), [undefined]);
});

test('triggers: created in their state, re-created when changed, switched when only the state differs, dropped when extra', () => {
  assert.deepEqual(repairs(snapshot(trigger('disabled')), snapshot()), [
    `${trigger('').fields['definition']};\nALTER TABLE ${T} DISABLE TRIGGER "Touch";`,
  ]);
  assert.deepEqual(repairs(snapshot(trigger('enabled')), snapshot(trigger('enabled', 'CREATE TRIGGER "Touch" AFTER UPDATE ...'))), [
    `DROP TRIGGER "Touch" ON ${T};\n${trigger('').fields['definition']};`,
  ]);
  assert.deepEqual(repairs(snapshot(trigger('enabled')), snapshot(trigger('disabled'))), [`ALTER TABLE ${T} ENABLE TRIGGER "Touch";`]);
  assert.deepEqual(repairs(snapshot(trigger('replica')), snapshot(trigger('enabled'))), [`ALTER TABLE ${T} ENABLE REPLICA TRIGGER "Touch";`]);
  assert.deepEqual(repairs(snapshot(), snapshot(trigger('enabled'))), [`DROP TRIGGER "Touch" ON ${T};`]);
});

test('comments: set, changed (quoted as a literal, backslashes too) and removed', () => {
  assert.deepEqual(repairs(snapshot(table, comment(table, 'a \\ b')), snapshot(table)), [`COMMENT ON TABLE ${T} IS E'a \\\\ b';`]);
  assert.deepEqual(repairs(snapshot(table, comment(table, "it's")), snapshot(table, comment(table, 'old'))), [`COMMENT ON TABLE ${T} IS 'it''s';`]);
  assert.deepEqual(repairs(snapshot(table), snapshot(table, comment(table, 'old'))), [`COMMENT ON TABLE ${T} IS NULL;`]);
});

test("a view created again gets its own comment and its columns' comments back", () => {
  const commented = { ...view(' SELECT 1 AS a;'), repair: { comment: 'VIEW public.v' } };
  // A view's column is no entry of its own (its definition says what it is): only its comment is.
  const viewColumn: SnapshotEntry = { kind: 'column', name: 'public.v.a', group: 'view public.v', fields: {}, repair: { comment: 'COLUMN public.v.a' } };
  const expected = snapshot(commented, comment(commented, 'ones'), comment(viewColumn, 'always 1'), table, comment(table, 'not this one'));
  assert.deepEqual(repairs(expected, snapshot(table, comment(table, 'not this one'))), [
    "CREATE VIEW public.v AS\nSELECT 1 AS a;\nCOMMENT ON VIEW public.v IS 'ones';\nCOMMENT ON COLUMN public.v.a IS 'always 1';",
  ]);
  assert.deepEqual(repairs(expected, snapshot(commented, comment(viewColumn, 'changed'), table, comment(table, 'not this one'))), [
    "COMMENT ON COLUMN public.v.a IS 'always 1';", "COMMENT ON VIEW public.v IS 'ones';",
  ], 'a comment that differs on its own is set on its own');
});

test('columns: a changed default is set or dropped; anything else about a column is by hand', () => {
  assert.deepEqual(repairs(snapshot(column({ default: "'private'::text" })), snapshot(column({ default: "'shared'::text" }))), [
    `ALTER TABLE ${T} ALTER COLUMN a SET DEFAULT 'private'::text;`,
  ]);
  assert.deepEqual(repairs(snapshot(column({})), snapshot(column({ default: '0' }))), [`ALTER TABLE ${T} ALTER COLUMN a DROP DEFAULT;`]);
  assert.deepEqual(repairs(snapshot(column({ type: 'integer' })), snapshot(column({}))), [undefined]);
  assert.deepEqual(repairs(snapshot(column({ 'not null': 'yes', default: '1' })), snapshot(column({}))), [undefined]);
  assert.deepEqual(repairs(snapshot(table, column({})), snapshot(table)), [undefined]);
  assert.deepEqual(repairs(snapshot(table), snapshot(table, column({}))), [undefined]);
});

test('constraints: added, a CHECK re-made, a NOT VALID one validated; a changed key or an extra constraint by hand', () => {
  assert.deepEqual(repairs(snapshot(constraint('CHECK ((a > 0))')), snapshot()), [`ALTER TABLE ${T} ADD CONSTRAINT ck CHECK ((a > 0));`]);
  assert.deepEqual(repairs(snapshot(constraint('CHECK ((a > 0))')), snapshot(constraint('CHECK ((a >= 0))'))), [
    `ALTER TABLE ${T} DROP CONSTRAINT ck;\nALTER TABLE ${T} ADD CONSTRAINT ck CHECK ((a > 0));`,
  ]);
  assert.deepEqual(repairs(snapshot(constraint('CHECK ((a > 0))')), snapshot(constraint('CHECK ((a > 0)) NOT VALID'))), [
    `ALTER TABLE ${T} VALIDATE CONSTRAINT ck;`,
  ]);
  const commented = { ...constraint('CHECK ((a > 0))'), repair: { ...constraint('').repair, comment: `CONSTRAINT ck ON ${T}` } };
  assert.deepEqual(repairs(snapshot(commented, comment(commented, 'positive')), snapshot(constraint('CHECK ((a >= 0))'), comment(commented, 'positive'))), [
    `ALTER TABLE ${T} DROP CONSTRAINT ck;\nALTER TABLE ${T} ADD CONSTRAINT ck CHECK ((a > 0));\nCOMMENT ON CONSTRAINT ck ON ${T} IS 'positive';`,
  ], 'the comment the drop took goes back');
  assert.deepEqual(repairs(snapshot(constraint('UNIQUE (a)', 'u')), snapshot(constraint('UNIQUE (a, b)', 'u'))), [undefined]);
  assert.deepEqual(repairs(snapshot(), snapshot(constraint('CHECK ((a > 0))'))), [undefined]);
});

test('policies, views and row-level security', () => {
  const create = `CREATE POLICY own ON ${T} AS RESTRICTIVE FOR UPDATE TO PUBLIC USING ((a > 0)) WITH CHECK ((b < 10));`;
  assert.deepEqual(repairs(snapshot(policy('(a > 0)')), snapshot()), [create]);
  assert.deepEqual(repairs(snapshot(policy('(a > 0)')), snapshot(policy('(a > 1)'))), [`DROP POLICY own ON ${T};\n${create}`]);
  assert.deepEqual(repairs(snapshot(), snapshot(policy('(a > 0)'))), [`DROP POLICY own ON ${T};`]);
  assert.deepEqual(repairs(snapshot(view(' SELECT 1 AS a;')), snapshot(view(' SELECT 2 AS a;'))), ['CREATE OR REPLACE VIEW public.v AS\nSELECT 1 AS a;']);
  const secured = { ...table, fields: { 'row level security': 'on', 'force row level security': 'on' } };
  assert.deepEqual(repairs(snapshot(secured), snapshot(table)), [`ALTER TABLE ${T} ENABLE ROW LEVEL SECURITY;\nALTER TABLE ${T} FORCE ROW LEVEL SECURITY;`]);
  assert.deepEqual(repairs(snapshot(table), snapshot(secured)), [`ALTER TABLE ${T} DISABLE ROW LEVEL SECURITY;\nALTER TABLE ${T} NO FORCE ROW LEVEL SECURITY;`]);
});

test('by hand: tables, enum labels, sequences, extensions, privileges; nothing for a cosmetic difference', () => {
  const enumOf = (labels: string): SnapshotEntry => ({ kind: 'enum', name: 'public.mood', group: 'enum public.mood', fields: { labels } });
  const sequence = (start: string): SnapshotEntry => ({ kind: 'sequence', name: 'public.s', group: 'sequence public.s', fields: { start } });
  const owner = (name: string): SnapshotEntry => ({ kind: 'privileges', name: `table ${T}`, group: `table ${T}`, fields: { owner: name }, privileges: true });
  assert.deepEqual(repairs(snapshot(table), snapshot()), [undefined]);
  assert.deepEqual(repairs(snapshot(), snapshot(table)), [undefined]);
  assert.deepEqual(repairs(snapshot(enumOf("'a'")), snapshot(enumOf("'a', 'b'"))), [undefined]);
  assert.deepEqual(repairs(snapshot(sequence('1')), snapshot(sequence('5'))), [undefined]);
  assert.deepEqual(repairs(snapshot(owner('app')), snapshot(owner('postgres'))), [undefined]);
  assert.deepEqual(repairs(snapshot(fn('SELECT 1')), snapshot(fn('  SELECT  1'))), [undefined]);
});
