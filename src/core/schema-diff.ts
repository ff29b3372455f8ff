/**
 * Differences between two schema snapshots, and their wording for a person. One rule says what is
 * cosmetic, for verify and drift alike: a column's position alone, or a routine body or view definition
 * that differs only in layout.
 */
import { entryKey, objectName, type Snapshot, type SnapshotEntry } from './snapshot-entry.js';
import { differsOnlyInWhitespace } from './sql-whitespace.js';

export type DifferenceKind = 'missing' | 'extra' | 'changed';

/** One field's two values; null where the field is not set (no default, no comment) on that side. */
export interface FieldDifference {
  readonly field: string;
  readonly expected: string | null;
  readonly actual: string | null;
}

/** `expected` is the migrations' schema, `actual` the database's: "missing" is missing in the database. */
export interface SchemaDifference {
  /** "index public.ix_a", as objectName words it. */
  readonly object: string;
  readonly kind: string;
  readonly name: string;
  readonly group: string;
  readonly change: DifferenceKind;
  /** The fields that differ; for a missing or extra object, only what is worth saying about it (an index's INVALID state). */
  readonly fields: readonly FieldDifference[];
  /** Listed, never a failure. */
  readonly cosmetic: boolean;
}

/** Kinds whose definition may differ in layout alone: a routine's body is kept as its author wrote it. */
const LAYOUT_KINDS = new Set(['function', 'procedure', 'view', 'materialized view']);

export function compareSnapshots(expected: Snapshot, actual: Snapshot, options: { readonly privileges: boolean }): SchemaDifference[] {
  const wanted = (entry: SnapshotEntry): boolean => options.privileges || entry.privileges !== true;
  const differences: SchemaDifference[] = [];
  for (const [key, entry] of expected) {
    if (!wanted(entry)) continue;
    const found = actual.get(key);
    const difference = found === undefined ? makeDifference(entry, 'missing', [], false) : changed(entry, found);
    if (difference) differences.push(difference);
  }
  for (const [key, entry] of actual) {
    if (wanted(entry) && !expected.has(key)) differences.push(makeDifference(entry, 'extra', invalidState(entry), false));
  }
  return withoutParts(withoutShiftedColumns(differences)).sort((a, b) => compareText(a.group, b.group) || compareText(a.object, b.object));
}

/**
 * A column order that differs while the set of columns is the same is cosmetic; where a column is missing
 * or extra, the columns after it moved because of it, which that one difference already says.
 */
function withoutShiftedColumns(differences: readonly SchemaDifference[]): SchemaDifference[] {
  const reshaped = new Set(differences.filter((d) => d.kind === 'column' && d.change !== 'changed').map((d) => d.group));
  return differences.filter((d) => !(d.kind === 'column' && d.cosmetic && reshaped.has(d.group)));
}

/**
 * A missing or extra object stands for what goes with it, which is not listed again: a table for its
 * columns, indexes and triggers, any object for its comment and its privileges.
 */
function withoutParts(differences: readonly SchemaDifference[]): SchemaDifference[] {
  const gone = differences.filter((d) => d.change !== 'changed');
  const groups = new Set(gone.filter((d) => d.object === d.group).map((d) => `${d.change} ${d.group}`));
  const objects = new Set(gone.map((d) => `${d.change} ${d.object}`));
  const partOf = (d: SchemaDifference): boolean =>
    (d.object !== d.group && groups.has(`${d.change} ${d.group}`)) || (ATTACHED.has(d.kind) && objects.has(`${d.change} ${d.name}`));
  return differences.filter((d) => d.change === 'changed' || !partOf(d));
}

/** Kinds whose name is the object they are attached to ("comment on index public.ix": name "index public.ix"). */
const ATTACHED = new Set(['comment', 'privileges']);

function changed(expected: SnapshotEntry, actual: SnapshotEntry): SchemaDifference | undefined {
  const fields = fieldDifferences(expected.fields, actual.fields);
  if (fields.length > 0) {
    const layoutOnly = LAYOUT_KINDS.has(expected.kind)
      && fields.every((field) => field.field === 'definition' && field.expected !== null && field.actual !== null
        && differsOnlyInWhitespace(field.expected, field.actual));
    return makeDifference(expected, 'changed', fields, layoutOnly);
  }
  const cosmetic = fieldDifferences(expected.cosmetic ?? {}, actual.cosmetic ?? {});
  return cosmetic.length > 0 ? makeDifference(expected, 'changed', cosmetic, true) : undefined;
}

function fieldDifferences(expected: Readonly<Record<string, string>>, actual: Readonly<Record<string, string>>): FieldDifference[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
  return names
    .filter((field) => expected[field] !== actual[field])
    .map((field) => ({ field, expected: expected[field] ?? null, actual: actual[field] ?? null }));
}

/** An extra index that is INVALID is what a failed CREATE INDEX CONCURRENTLY leaves: worth saying, since it only costs writes. */
function invalidState(entry: SnapshotEntry): FieldDifference[] {
  return entry.kind === 'index' && entry.fields['state'] === 'INVALID' ? [{ field: 'state', expected: null, actual: 'INVALID' }] : [];
}

function makeDifference(entry: SnapshotEntry, change: DifferenceKind, fields: readonly FieldDifference[], cosmetic: boolean): SchemaDifference {
  const { kind, name, group } = entry;
  return { object: objectName(entry), kind, name, group, change, fields, cosmetic };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One difference for a person: "index public.ix_a: missing in the database", "column public.t.c: default
 * 'a'::text in the migrations, 'b'::text in the database", "function public.f(): definition differs ...".
 */
export function driftMessage(difference: SchemaDifference): string {
  if (difference.change === 'missing') return `${difference.object}: missing in the database`;
  if (difference.change === 'extra') {
    const invalid = difference.fields.some((field) => field.field === 'state' && field.actual === 'INVALID');
    return `${difference.object}: in the database, not in the migrations${invalid ? ' (INVALID: what a failed CREATE INDEX CONCURRENTLY leaves)' : ''}`;
  }
  return `${difference.object}: ${difference.fields.map(fieldWords).join('; ')}`;
}

const SHORT = 60;

/** Fields named in the plural: "grants differ". */
const PLURAL = new Set(['grants', 'labels', 'roles', 'options']);

function fieldWords({ field, expected, actual }: FieldDifference): string {
  // A value shown as it is must be short, its only whitespace single spaces between words: a tab, a newline,
  // a second space or one at either end would not show.
  const short = (value: string | null): boolean => value === null || (value.length <= SHORT && !/[^\S ]| {2}|^ | $/.test(value));
  if (short(expected) && short(actual)) return `${field} ${expected ?? 'none'} in the migrations, ${actual ?? 'none'} in the database`;
  const [mine, theirs] = excerpts(expected ?? '', actual ?? '');
  return `${field} ${PLURAL.has(field) ? 'differ' : 'differs'}: ${mine} in the migrations, ${theirs} in the database`;
}

const EXCERPT = 50;

/**
 * Both texts from a little before where they start to differ (from that line's first word when it is near),
 * clipped, as JSON strings: a newline or a tab reads \n or \t and a run of spaces is kept, so a change of
 * whitespace inside a literal or a quoted name shows.
 */
function excerpts(a: string, b: string): [string, string] {
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  const line = a.lastIndexOf('\n', at - 1) + 1;
  const indent = /^[ \t]*/.exec(a.slice(line, at))?.[0].length ?? 0;
  const from = Math.max(0, line + indent, at - 20);
  const clipText = (text: string): string => {
    const rest = text.slice(from);
    const head = from > 0 ? '...' : '';
    return JSON.stringify(head + (rest.length > EXCERPT ? `${rest.slice(0, EXCERPT - 3)}...` : rest));
  };
  return [clipText(a), clipText(b)];
}

const WORDS = {
  rollback: { extra: 'still exists after rollback', missing: 'is missing after rollback (the rollback removes too much)', when: 'after rollback' },
  reapply: { extra: 'exists after re-apply but not after the first apply', missing: 'is missing after re-apply', when: 'after re-apply' },
  again: { extra: 'exists after the second run but not after the first', missing: 'is missing after the second run', when: 'after the second run' },
} as const;

/**
 * verify's wording. `expected` is what the schema should look like, `actual` what it does, after the
 * rollback (expected: the schema before the migration) or after applying the migration again (expected:
 * after its first apply). Owners and grants count; cosmetic differences do not, and are left out.
 */
export function describeDifferences(expected: Snapshot, actual: Snapshot, phase: keyof typeof WORDS): string[] {
  const words = WORDS[phase];
  return compareSnapshots(expected, actual, { privileges: true })
    .filter((difference) => !difference.cosmetic)
    .map((difference) => {
      if (difference.change === 'extra') return `${difference.object} ${words.extra}`;
      if (difference.change === 'missing') return `${difference.object} ${words.missing}`;
      const entry = expected.get(entryKey(difference.kind, difference.name));
      // An object described by one field (a comment's text, a view's definition) needs no field names.
      const named = Object.keys(entry?.fields ?? {}).length > 1 || difference.fields.length > 1;
      const shown = difference.fields.map((field) => ({ name: named ? `${field.field} ` : '', values: clipped(field.expected ?? 'none', field.actual ?? 'none') }));
      const side = (index: 0 | 1): string => shown.map(({ name, values }) => name + values[index]).join(', ');
      return `${difference.object} differs ${words.when}: expected ${side(0)}, found ${side(1)}`;
    })
    .sort();
}

/** Both values flattened and clipped; where that would make them look the same, drift's excerpts, which keep whitespace. */
function clipped(expected: string, actual: string): [string, string] {
  const clip = (definition: string): string => {
    const flat = definition.replace(/\s+/g, ' ').trim();
    return JSON.stringify(flat.length > 160 ? `${flat.slice(0, 157)}...` : flat);
  };
  const [a, b] = [clip(expected), clip(actual)];
  return a === b ? excerpts(expected, actual) : [a, b];
}
