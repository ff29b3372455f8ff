/**
 * What a schema snapshot holds, and how its entries are named for a person. The snapshot is taken in
 * src/db/snapshot.ts; comparing two of them (src/core/schema-diff.ts) needs no database.
 */

/** One object of the catalog, as the server prints it: two entries with equal `fields` are the same object. */
export interface SnapshotEntry {
  /** "table", "column", "index", "function", "comment", "privileges", ... */
  readonly kind: string;
  /** Schema-qualified and quoted where needed: "public.user_sessions", "public.touch()", "public.t.created_by". */
  readonly name: string;
  /** The object a person thinks of it under: "table public.user_sessions" for its columns, indexes, comments. */
  readonly group: string;
  /** What is compared. A field that is not set (no default, no comment) is absent. */
  readonly fields: Readonly<Record<string, string>>;
  /** Compared, but a difference only here is cosmetic (a column's position among the live columns). */
  readonly cosmetic?: Readonly<Record<string, string>>;
  /** Owners and grants: compared only when asked for. */
  readonly privileges?: true;
  /**
   * Never compared: the identifiers a repair statement is written with (the table a constraint is on, the
   * target of a COMMENT ON), each already quoted.
   */
  readonly repair?: Readonly<Record<string, string>>;
}

/** Keyed `${kind} ${name}` (entryKey). */
export type Snapshot = ReadonlyMap<string, SnapshotEntry>;

export function entryKey(kind: string, name: string): string {
  return `${kind} ${name}`;
}

/** How a person names the entry: "index public.ix_a", "comment on table public.t", "privileges on table public.t". */
export function objectName(entry: Pick<SnapshotEntry, 'kind' | 'name'>): string {
  if (entry.kind === 'comment' || entry.kind === 'privileges') return `${entry.kind} on ${entry.name}`;
  return entryKey(entry.kind, entry.name);
}
