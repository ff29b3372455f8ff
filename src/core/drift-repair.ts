/**
 * The statement that brings the database back to the migrations' schema for one difference, where that is
 * mechanical and loses no data: indexes, routines, triggers, comments, defaults, constraints, policies,
 * views. Anything else (a table or column, a type change, NOT NULL, enum labels, sequences) is left to a
 * person: undefined means "by hand".
 */
import type { SchemaDifference } from './schema-diff.js';
import { entryKey, type Snapshot, type SnapshotEntry } from './snapshot-entry.js';
import { quoteLiteral } from './sql-quote.js';

type Repair = (expected: SnapshotEntry | undefined, actual: SnapshotEntry | undefined, difference: SchemaDifference) => string | undefined;

/**
 * `expected` is the migrations' snapshot, `actual` the database's. An object created or re-created gets
 * its comment back too: a dropped object took its comment with it, and a missing one's comment is not
 * listed apart from it.
 */
export function repairSql(difference: SchemaDifference, expected: Snapshot, actual: Snapshot): string | undefined {
  if (difference.cosmetic) return undefined;
  const key = entryKey(difference.kind, difference.name);
  const [mine, theirs] = [expected.get(key), actual.get(key)];
  const statements = REPAIRS[difference.kind]?.(mine, theirs, difference);
  if (statements === undefined) return undefined;
  const recreated = mine !== undefined && (theirs === undefined || /\bDROP (INDEX|TRIGGER|POLICY|CONSTRAINT) /.test(statements));
  // A view created whole gets its columns' comments back as well: they are listed under it, not apart.
  const whole = mine !== undefined && theirs === undefined && difference.object === difference.group;
  const comments = [...expected.values()].filter((entry) => entry.kind === 'comment' && (entry.name === key ? recreated : whole && entry.group === difference.group));
  return lines(statements.trimEnd(), ...comments.map((comment) => REPAIRS['comment']?.(comment, undefined, difference)));
}

/** Each kind's repair, by the change. Only the fields that differ decide a "changed" repair. */
const REPAIRS: Readonly<Record<string, Repair>> = {
  index: (expected, actual) => {
    if (!expected) return actual && `DROP INDEX ${actual.name};`;
    const create = statement(expected.fields['definition']);
    return actual ? `DROP INDEX ${actual.name};\n${create}` : create;
  },
  function: routine,
  procedure: routine,
  trigger: (expected, actual, difference) => {
    const drop = actual && `DROP TRIGGER ${part(actual, 'trigger')} ON ${part(actual, 'table')};`;
    if (!expected) return drop;
    const enable = enableTrigger(expected);
    if (actual && onlyFields(difference, ['state'])) return enable ?? `ALTER TABLE ${part(expected, 'table')} ENABLE TRIGGER ${part(expected, 'trigger')};`;
    return lines(drop, statement(expected.fields['definition']), enable);
  },
  comment: (expected, actual) => {
    const entry = expected ?? actual;
    return entry && `COMMENT ON ${part(entry, 'target')} IS ${expected ? quoteLiteral(expected.fields['text'] ?? '') : 'NULL'};`;
  },
  column: (expected, actual, difference) => {
    if (!expected || !actual || !onlyFields(difference, ['default'])) return undefined;
    const alter = `ALTER TABLE ${part(expected, 'table')} ALTER COLUMN ${part(expected, 'column')}`;
    const value = expected.fields['default'];
    return value === undefined ? `${alter} DROP DEFAULT;` : `${alter} SET DEFAULT ${value};`;
  },
  constraint: (expected, actual) => {
    if (!expected) return undefined;
    const on = `ALTER ${part(expected, 'on')}`;
    const add = `${on} ADD CONSTRAINT ${part(expected, 'constraint')} ${expected.fields['definition']};`;
    if (!actual) return add;
    if (actual.fields['definition'] === `${expected.fields['definition']} NOT VALID`) return `${on} VALIDATE CONSTRAINT ${part(expected, 'constraint')};`;
    // A CHECK or a foreign key is re-made without losing data; a key others depend on is not dropped here.
    if (!['c', 'f'].includes(part(expected, 'type')) || !['c', 'f'].includes(part(actual, 'type'))) return undefined;
    return `${on} DROP CONSTRAINT ${part(actual, 'constraint')};\n${add}`;
  },
  policy: (expected, actual) => {
    const drop = actual && `DROP POLICY ${part(actual, 'policy')} ON ${part(actual, 'table')};`;
    return expected ? lines(drop, createPolicy(expected)) : drop;
  },
  view: (expected, actual) => {
    if (!expected) return undefined;
    const options = expected.fields['options'];
    const verb = actual ? 'CREATE OR REPLACE VIEW' : 'CREATE VIEW';
    return `${verb} ${expected.name}${options === undefined ? '' : ` WITH (${options})`} AS\n${statement(expected.fields['definition'])}`;
  },
  table: rowLevelSecurity,
  'partitioned table': rowLevelSecurity,
};

function routine(expected: SnapshotEntry | undefined): string | undefined {
  // pg_get_functiondef prints CREATE OR REPLACE: it both creates a missing routine and replaces a changed one.
  return expected && statement(expected.fields['definition']);
}

const TRIGGER_STATES: Readonly<Record<string, string>> = { disabled: 'DISABLE', replica: 'ENABLE REPLICA', always: 'ENABLE ALWAYS' };

/** The ALTER TABLE a trigger that is not simply enabled needs after its CREATE TRIGGER. */
function enableTrigger(expected: SnapshotEntry): string | undefined {
  const state = TRIGGER_STATES[expected.fields['state'] ?? ''];
  return state && `ALTER TABLE ${part(expected, 'table')} ${state} TRIGGER ${part(expected, 'trigger')};`;
}

function createPolicy(expected: SnapshotEntry): string {
  const { command, type, roles, using, 'with check': check } = expected.fields;
  return [
    `CREATE POLICY ${part(expected, 'policy')} ON ${part(expected, 'table')} AS ${type} FOR ${command} TO ${roles}`,
    using === undefined ? '' : ` USING (${using})`,
    check === undefined ? '' : ` WITH CHECK (${check})`,
    ';',
  ].join('');
}

const SECURITY = { 'row level security': 'ROW LEVEL SECURITY', 'force row level security': 'FORCE ROW LEVEL SECURITY' } as const;

/** Row-level security switched on or off is a flag of the table; any other change to a table is by hand. */
function rowLevelSecurity(expected: SnapshotEntry | undefined, actual: SnapshotEntry | undefined, difference: SchemaDifference): string | undefined {
  if (!expected || !actual || !onlyFields(difference, Object.keys(SECURITY))) return undefined;
  return difference.fields
    .map(({ field, expected: value }) => {
      const verb = field === 'force row level security' ? (value === 'on' ? '' : 'NO ') : value === 'on' ? 'ENABLE ' : 'DISABLE ';
      return `ALTER TABLE ${expected.name} ${verb}${SECURITY[field as keyof typeof SECURITY]};`;
    })
    .join('\n');
}

function onlyFields(difference: SchemaDifference, fields: readonly string[]): boolean {
  return difference.fields.every(({ field }) => fields.includes(field));
}

/** An identifier the snapshot stored for repairs, quoted already. */
function part(entry: SnapshotEntry, name: string): string {
  const value = entry.repair?.[name];
  if (value === undefined) throw new Error(`snapshot entry ${entry.kind} ${entry.name} has no ${name} for its repair`);
  return value;
}

/** A printed definition as one statement: pg_get_viewdef ends with a semicolon, pg_get_functiondef does not. */
function statement(definition: string | undefined): string {
  return `${(definition ?? '').trim().replace(/;$/, '')};`;
}

function lines(...parts: ReadonlyArray<string | undefined>): string {
  return parts.filter((line) => line !== undefined).join('\n');
}
