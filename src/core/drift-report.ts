/**
 * What `drift` answers: each difference between the schema the migrations build and the live one, worded
 * for a person, with the statement that undoes it where that is mechanical. Pure: no I/O, no driver.
 */
import { repairSql } from './drift-repair.js';
import type { ScratchWhere } from './replay-plan.js';
import { compareSnapshots, driftMessage, type SchemaDifference } from './schema-diff.js';
import type { Snapshot } from './snapshot-entry.js';

export interface DriftItem {
  /** "index public.ix_user_sessions_created_by" */
  readonly object: string;
  readonly kind: string;
  readonly name: string;
  /** The object a person finds it under: a column's table, or the object itself. */
  readonly group: string;
  /** `missing`: the migrations give it, the database has not; `extra`: the other way round. */
  readonly change: SchemaDifference['change'];
  readonly fields: SchemaDifference['fields'];
  readonly message: string;
  /** The statement that brings the database back to the migrations' schema; null where it takes a person. */
  readonly sql: string | null;
}

export interface DriftReport {
  /** True when the database differs from its migrations in more than cosmetics. */
  readonly drift: boolean;
  /** Ledger rows replayed to build the expected schema. */
  readonly replayed: number;
  readonly scratch: ScratchWhere;
  readonly differences: readonly DriftItem[];
  /** Differences in form only (column order, whitespace in a body): listed, not counted. */
  readonly cosmetic: readonly DriftItem[];
}

/** `expected`: the snapshot of the schema the migrations build; `actual`: the live one's. */
export function driftReport(expected: Snapshot, actual: Snapshot, options: { readonly privileges: boolean; readonly replayed: number; readonly scratch: ScratchWhere }): DriftReport {
  const { replayed, scratch } = options;
  const items = compareSnapshots(expected, actual, options).map((difference) => ({ difference, item: driftItem(difference, expected, actual) }));
  const counted = items.filter(({ difference }) => !difference.cosmetic).map(({ item }) => item);
  return { drift: counted.length > 0, replayed, scratch, differences: counted, cosmetic: items.filter(({ difference }) => difference.cosmetic).map(({ item }) => item) };
}

function driftItem(difference: SchemaDifference, expected: Snapshot, actual: Snapshot): DriftItem {
  const { object, kind, name, group, change, fields } = difference;
  return { object, kind, name, group, change, fields, message: driftMessage(difference), sql: difference.cosmetic ? null : (repairSql(difference, expected, actual) ?? null) };
}
