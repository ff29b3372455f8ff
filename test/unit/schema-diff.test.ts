/** compareSnapshots, driftMessage, describeDifferences and the cosmetic rule, on hand-made snapshots. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSnapshots, describeDifferences, driftMessage, type SchemaDifference } from '../../src/core/schema-diff.js';
import { entryKey, type Snapshot, type SnapshotEntry } from '../../src/core/snapshot-entry.js';
import { differsOnlyInWhitespace } from '../../src/core/sql-whitespace.js';

const snapshot = (...entries: SnapshotEntry[]): Snapshot => new Map(entries.map((entry) => [entryKey(entry.kind, entry.name), entry]));
const table: SnapshotEntry = { kind: 'table', name: 'public.t', group: 'table public.t', fields: { 'row level security': 'off' } };
const column = (name: string, position: string, fields: Record<string, string> = { type: 'text' }): SnapshotEntry =>
  ({ kind: 'column', name: `public.t.${name}`, group: 'table public.t', fields, cosmetic: { position } });
const fn = (body: string): SnapshotEntry => ({
  kind: 'function', name: 'public.touch()', group: 'function public.touch()',
  fields: { definition: `CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$${body}$function$\n` },
});
const index: SnapshotEntry = { kind: 'index', name: 'public.ix', group: 'table public.t', fields: { definition: 'CREATE INDEX ix ON public.t USING btree (a)', state: 'valid' } };
const comment = (on: SnapshotEntry, text: string): SnapshotEntry => ({ kind: 'comment', name: entryKey(on.kind, on.name), group: on.group, fields: { text } });
const grants = (on: SnapshotEntry, owner: string): SnapshotEntry =>
  ({ kind: 'privileges', name: entryKey(on.kind, on.name), group: on.group, fields: { owner }, privileges: true });

const compare = (expected: Snapshot, actual: Snapshot, privileges = false): SchemaDifference[] => compareSnapshots(expected, actual, { privileges });

test('equal snapshots have no differences', () => {
  assert.deepEqual(compare(snapshot(table, column('a', '1'), index), snapshot(index, column('a', '1'), table)), []);
});

test('missing, extra and changed, each worded for a person', () => {
  const expected = snapshot(table, column('a', '1', { type: 'text', default: "'private'::text" }), index);
  const actual = snapshot(table, column('a', '1', { type: 'text', default: "'shared'::text" }), { ...table, name: 'public.audit_copy', group: 'table public.audit_copy' });
  const differences = compare(expected, actual);
  assert.deepEqual(differences.map((d) => [d.object, d.change, d.cosmetic]), [
    ['table public.audit_copy', 'extra', false],
    ['column public.t.a', 'changed', false],
    ['index public.ix', 'missing', false],
  ]);
  assert.deepEqual(differences.map(driftMessage), [
    'table public.audit_copy: in the database, not in the migrations',
    "column public.t.a: default 'private'::text in the migrations, 'shared'::text in the database",
    'index public.ix: missing in the database',
  ]);
  assert.deepEqual(differences[1]?.fields, [{ field: 'default', expected: "'private'::text", actual: "'shared'::text" }]);
});

test('a field set on one side only reads as none on the other', () => {
  const [difference] = compare(snapshot(column('a', '1', { type: 'text', default: '0' })), snapshot(column('a', '1')));
  assert.deepEqual(difference?.fields, [{ field: 'default', expected: '0', actual: null }]);
  assert.equal(driftMessage(difference as SchemaDifference), 'column public.t.a: default 0 in the migrations, none in the database');
});

test('a long definition that differs is shown from where it starts to differ, clipped', () => {
  const [difference] = compare(snapshot(fn('\nBEGIN\n  NEW.at := now();\n  RETURN NEW;\nEND ')), snapshot(fn('\nBEGIN\n  NEW.at := clock_timestamp();\n  RETURN NEW;\nEND ')));
  assert.equal(driftMessage(difference as SchemaDifference),
    'function public.touch(): definition differs: "...NEW.at := now();\\n  RETURN NEW;\\nEND $function$\\n" in the migrations, "...NEW.at := clock_timestamp();\\n  RETURN NEW;\\nEND ..." in the database');
  const far = (name: string): SnapshotEntry => ({ kind: 'view', name: 'public.v', group: 'view public.v', fields: { definition: ` SELECT ${'a, '.repeat(40)}${name} FROM t;` } });
  const [clipped] = compare(snapshot(far('b')), snapshot(far('c')));
  assert.equal(driftMessage(clipped as SchemaDifference),
    'view public.v: definition differs: "..., a, a, a, a, a, a, b FROM t;" in the migrations, "..., a, a, a, a, a, a, c FROM t;" in the database');
});

test('whitespace inside a literal or a quoted name shows in the message, which stays one line', () => {
  const messages = (a: string, b: string): string => driftMessage(compare(snapshot(fn(a)), snapshot(fn(b)))[0] as SchemaDifference);
  assert.equal(messages("\nBEGIN\n  RETURN 'a  b';\nEND ", "\nBEGIN\n  RETURN 'a b';\nEND "),
    'function public.touch(): definition differs: "...RETURN \'a  b\';\\nEND $function$\\n" in the migrations, "...RETURN \'a b\';\\nEND $function$\\n" in the database');
  assert.match(messages("\nBEGIN\n  RETURN E'a\tb';\nEND ", "\nBEGIN\n  RETURN E'a b';\nEND "), /"\.\.\.RETURN E'a\\tb';.*" in the migrations, "\.\.\.RETURN E'a b';.*" in the database$/);
  assert.match(messages('\nBEGIN\n  RETURN "A  B";\nEND ', '\nBEGIN\n  RETURN "A B";\nEND '), /"\.\.\.RETURN \\"A  B\\";.*" in the migrations, "\.\.\.RETURN \\"A B\\";/);
  const tab = compare(snapshot(column('a', '1', { type: 'text', default: "'a\tb'::text" })), snapshot(column('a', '1', { type: 'text', default: "'a b'::text" })));
  assert.equal(driftMessage(tab[0] as SchemaDifference), `column public.t.a: default differs: "'a\\tb'::text" in the migrations, "'a b'::text" in the database`);
  const spaces = compare(snapshot(column('a', '1', { type: 'text', default: "'a  b'::text" })), snapshot(column('a', '1', { type: 'text', default: "'a b'::text" })));
  assert.equal(driftMessage(spaces[0] as SchemaDifference), `column public.t.a: default differs: "'a  b'::text" in the migrations, "'a b'::text" in the database`);
  for (const message of [...tab, ...spaces].map(driftMessage)) assert.doesNotMatch(message, /[\n\t]/);
});

test('column order alone is cosmetic; the set of columns changing is not', () => {
  const order = compare(snapshot(column('a', '1'), column('b', '2')), snapshot(column('b', '1'), column('a', '2')));
  assert.deepEqual(order.map((d) => [d.object, d.cosmetic]), [['column public.t.a', true], ['column public.t.b', true]]);
  assert.equal(driftMessage(order[0] as SchemaDifference), 'column public.t.a: position 1 in the migrations, 2 in the database');
  const added = compare(snapshot(column('a', '1')), snapshot(column('a', '1'), column('b', '2')));
  assert.deepEqual(added.map((d) => [d.object, d.change, d.cosmetic]), [['column public.t.b', 'extra', false]]);
});

test('a column dropped or added by hand is one difference: the columns it moved are not listed', () => {
  const dropped = compare(snapshot(column('a', '1'), column('b', '2'), column('c', '3')), snapshot(column('a', '1'), column('c', '2')));
  assert.deepEqual(dropped.map((d) => [d.object, d.change, d.cosmetic]), [['column public.t.b', 'missing', false]]);
  const added = compare(snapshot(column('a', '1'), column('b', '2')), snapshot(column('x', '1'), column('a', '2'), column('b', '3')));
  assert.deepEqual(added.map((d) => [d.object, d.change, d.cosmetic]), [['column public.t.x', 'extra', false]]);
  const other = { ...column('a', '2'), name: 'public.u.a', group: 'table public.u' };
  const elsewhere = compare(snapshot(column('a', '1'), column('b', '2'), { ...other, cosmetic: { position: '1' } }), snapshot(column('a', '1'), other));
  assert.deepEqual(elsewhere.map((d) => [d.object, d.change, d.cosmetic]), [['column public.t.b', 'missing', false], ['column public.u.a', 'changed', true]],
    "another table's order still counts as cosmetic");
});

test('a routine body that differs only in layout is cosmetic; a space inside a literal is not', () => {
  const layout = compare(snapshot(fn("\nBEGIN\n  RAISE NOTICE 'a b';\nEND ")), snapshot(fn("\nBEGIN\n\tRAISE  NOTICE 'a b' ;\n\nEND ")));
  assert.deepEqual(layout.map((d) => [d.object, d.cosmetic]), [['function public.touch()', true]]);
  const literal = compare(snapshot(fn("\nBEGIN\n  RAISE NOTICE 'a b';\nEND ")), snapshot(fn("\nBEGIN\n  RAISE NOTICE 'a  b';\nEND ")));
  assert.deepEqual(literal.map((d) => [d.object, d.cosmetic]), [['function public.touch()', false]]);
});

test('the layout rule: whitespace outside literals, quoted names and nested dollar quotes; words and comments count', () => {
  assert.ok(differsOnlyInWhitespace('AS $f$ SELECT 1+2 $f$', 'AS $f$\n  SELECT 1 + 2\n$f$'));
  assert.ok(!differsOnlyInWhitespace('AS $f$ SELECT "a b" $f$', 'AS $f$ SELECT "a  b" $f$'), 'a quoted identifier');
  assert.ok(!differsOnlyInWhitespace('AS $f$ EXECUTE $q$a b$q$ $f$', 'AS $f$ EXECUTE $q$a  b$q$ $f$'), 'a dollar-quoted string in the body');
  assert.ok(!differsOnlyInWhitespace("SELECT $q$a b$q$", "SELECT $q$a  b$q$"), 'a dollar-quoted string that is not a body');
  assert.ok(!differsOnlyInWhitespace('AS $f$ SELECT ab $f$', 'AS $f$ SELECT a b $f$'), 'a space that splits a word');
  assert.ok(!differsOnlyInWhitespace('AS $f$ SELECT 1 -- one\n $f$', 'AS $f$ SELECT 1 -- two\n $f$'), 'a comment edit');
});

test('a view definition may differ in layout; a table field may not, however it is spaced', () => {
  const view = (definition: string): SnapshotEntry => ({ kind: 'view', name: 'public.v', group: 'view public.v', fields: { definition } });
  assert.deepEqual(compare(snapshot(view(' SELECT 1;')), snapshot(view('SELECT  1;'))).map((d) => d.cosmetic), [true]);
  const check = (definition: string): SnapshotEntry => ({ kind: 'constraint', name: 'public.t.ck', group: 'table public.t', fields: { definition } });
  assert.deepEqual(compare(snapshot(check('CHECK (a > 0)')), snapshot(check('CHECK (a >  0)'))).map((d) => d.cosmetic), [false]);
});

test('a missing or extra object stands for its parts, its comment and its privileges', () => {
  const expected = snapshot(table, column('a', '1'), index, comment(index, 'hot'), comment(table, 'tee'), grants(table, 'app'), fn(''), comment(fn(''), 'f'));
  const differences = compare(expected, snapshot(), true);
  assert.deepEqual(differences.map((d) => d.object), ['function public.touch()', 'table public.t']);
  const indexOnly = compare(snapshot(table, index, comment(index, 'hot')), snapshot(table));
  assert.deepEqual(indexOnly.map((d) => d.object), ['index public.ix']);
  const commentOnly = compare(snapshot(table, index, comment(index, 'hot')), snapshot(table, index));
  assert.deepEqual(commentOnly.map(driftMessage), ['comment on index public.ix: missing in the database']);
});

test('a field named in the plural reads "differ"', () => {
  const acl = (value: string): SnapshotEntry => ({ ...grants(table, 'app'), fields: { grants: value } });
  const [difference] = compare(snapshot(acl(`app=arwdDxt/app ${'reporting=r/app '.repeat(4)}`)), snapshot(acl(`app=arwdDxt/app ${'reporting=r/app '.repeat(4)}auditor=r/app`)), true);
  assert.match(driftMessage(difference as SchemaDifference), /^privileges on table public\.t: grants differ: /);
});

test('privileges are compared only when asked for', () => {
  const expected = snapshot(table, grants(table, 'app'));
  const actual = snapshot(table, grants(table, 'postgres'));
  assert.deepEqual(compare(expected, actual), []);
  assert.deepEqual(compare(expected, actual, true).map(driftMessage), ['privileges on table public.t: owner app in the migrations, postgres in the database']);
});

test("verify's wording: cosmetic differences are dropped, a one-field object needs no field name", () => {
  const before = snapshot(table, column('a', '1', { type: 'text', 'not null': 'no' }), comment(table, 'User sessions'), fn('\nBEGIN\nEND '));
  const after = snapshot(table, column('a', '2', { type: 'integer', 'not null': 'no' }), comment(table, 'changed'), fn('\nBEGIN\n  END '), index);
  assert.deepEqual(describeDifferences(before, after, 'rollback'), [
    'column public.t.a differs after rollback: expected type "text", found type "integer"',
    'comment on table public.t differs after rollback: expected "User sessions", found "changed"',
    'index public.ix still exists after rollback',
  ]);
  assert.deepEqual(describeDifferences(after, before, 'reapply'), [
    'column public.t.a differs after re-apply: expected type "integer", found type "text"',
    'comment on table public.t differs after re-apply: expected "changed", found "User sessions"',
    'index public.ix is missing after re-apply',
  ]);
});

test("verify's words show a change of whitespace inside a literal, which flattening would hide", () => {
  const entry = (body: string): SnapshotEntry => ({ kind: 'function', name: 'public.f()', group: 'function public.f()', fields: { definition: body } });
  const before = new Map([['function public.f()', entry("CREATE FUNCTION f() RETURNS text AS $$ SELECT 'a  b' $$")]]);
  const after = new Map([['function public.f()', entry("CREATE FUNCTION f() RETURNS text AS $$ SELECT 'a b' $$")]]);
  const [line] = describeDifferences(before, after, 'rollback');
  assert.match(line ?? '', /'a {2}b'.*found .*'a b'/);
});

test('a short value with a space at its end, or two in a row, is quoted so the change shows', () => {
  const entry = (text: string): SnapshotEntry => ({ kind: 'comment', name: 'schema app', group: 'schema app', fields: { text } });
  const [difference] = compareSnapshots(new Map([['comment schema app', entry('app schema')]]), new Map([['comment schema app', entry('app schema ')]]), { privileges: false });
  assert.ok(difference);
  assert.equal(driftMessage(difference), 'comment on schema app: text differs: "app schema" in the migrations, "app schema " in the database');
});
