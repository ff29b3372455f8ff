/**
 * What one statement did, decided from the catalogs read before and after it (db/trace-probe.ts reads
 * them): only relations that existed before the file count, so a table the file creates and fills is never
 * reported. Relations are named as they were before the file, as the target knows them.
 */
import { defined } from './defined.js';
import { LOCK_MODES, lockRank, relationKey, type CatalogChange, type HeldLock, type LockMode, type RelationKind, type TracedRelation } from './trace-types.js';

export interface RelationRow {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly kind: RelationKind;
  /** 0 for a relation without storage of its own (a view, a partitioned table) or a mapped catalog. */
  readonly filenode: number;
  /** For an index, the table's oid. */
  readonly table: number | null;
}

export interface ColumnRow {
  readonly relation: number;
  readonly num: number;
  readonly name: string;
  /** format_type's spelling, typmod included: varchar(10) and varchar(20) differ. */
  readonly type: string;
  readonly notNull: boolean;
  readonly dropped: boolean;
}

export interface ConstraintRow {
  readonly oid: number;
  readonly relation: number;
  readonly name: string;
  /** pg_constraint.contype. */
  readonly type: string;
  readonly validated: boolean;
  /** A foreign key's referenced table; 0 for other constraints. */
  readonly references: number;
}

/** The catalogs as rows, as the probe reads them. */
export interface CatalogRows {
  readonly relations: readonly RelationRow[];
  readonly columns: readonly ColumnRow[];
  readonly constraints: readonly ConstraintRow[];
}

/** pg_locks' row for a relation lock this backend holds. */
export interface LockRow {
  readonly relation: number;
  readonly mode: string;
}

/** The same rows keyed for the comparison. */
export interface CatalogState {
  readonly relations: ReadonlyMap<number, RelationRow>;
  /** By `relation:num`. */
  readonly columns: ReadonlyMap<string, ColumnRow>;
  readonly constraints: ReadonlyMap<number, ConstraintRow>;
}

/** The relations that existed before the file, by oid, as they are reported. */
export type PreExisting = ReadonlyMap<number, TracedRelation>;

const columnKey = (relation: number, num: number): string => `${relation}:${num}`;

export function catalogState(rows: CatalogRows): CatalogState {
  return {
    relations: new Map(rows.relations.map((row) => [row.oid, row])),
    columns: new Map(rows.columns.map((row) => [columnKey(row.relation, row.num), row])),
    constraints: new Map(rows.constraints.map((row) => [row.oid, row])),
  };
}

export function preExisting(state: CatalogState): PreExisting {
  const traced = new Map<number, TracedRelation>();
  for (const row of state.relations.values()) {
    const table = row.table === null ? undefined : state.relations.get(row.table);
    traced.set(row.oid, { schema: row.schema, name: row.name, kind: row.kind, ...defined({ table: table && relationKey(table) }) });
  }
  return traced;
}

/** The strongest mode held on each relation that existed before the file; other lock kinds (SIReadLock) are not locks that block. */
export function heldLocks(rows: readonly LockRow[], pre: PreExisting): HeldLock[] {
  const strongest = new Map<number, LockMode>();
  for (const { relation, mode } of rows) {
    if (!pre.has(relation) || !isLockMode(mode)) continue;
    const held = strongest.get(relation);
    if (held === undefined || lockRank(mode) > lockRank(held)) strongest.set(relation, mode);
  }
  const held = [...strongest].flatMap(([oid, mode]) => {
    const relation = pre.get(oid);
    return relation ? [{ relation, mode }] : [];
  });
  // pg_locks has no order: by name, so two traces of one file read the same.
  return held.sort((a, b) => (relationKey(a.relation) < relationKey(b.relation) ? -1 : relationKey(a.relation) > relationKey(b.relation) ? 1 : 0));
}

function isLockMode(mode: string): mode is LockMode {
  return (LOCK_MODES as readonly string[]).includes(mode);
}

/** What changed between two reads of the catalogs, about relations that existed before the file. */
export function catalogChanges(before: CatalogState, after: CatalogState, pre: PreExisting): CatalogChange[] {
  return [...relationChanges(before, after, pre), ...columnChanges(before, after, pre), ...constraintChanges(before, after, pre)];
}

const STORED: readonly RelationKind[] = ['table', 'materialized view', 'index'];
const INDEXES: readonly RelationKind[] = ['index', 'partitioned index'];

function relationChanges(before: CatalogState, after: CatalogState, pre: PreExisting): CatalogChange[] {
  const changes: CatalogChange[] = [];
  for (const [oid, relation] of pre) {
    const was = before.relations.get(oid);
    const now = after.relations.get(oid);
    if (!was || !now || !STORED.includes(relation.kind)) continue;
    if (was.filenode !== 0 && now.filenode !== 0 && was.filenode !== now.filenode) changes.push({ kind: 'rewrite', relation });
  }
  for (const row of after.relations.values()) {
    const table = row.table === null ? undefined : pre.get(row.table);
    if (table && INDEXES.includes(row.kind) && !before.relations.has(row.oid)) changes.push({ kind: 'index-created', table, index: row.name });
  }
  for (const row of before.relations.values()) {
    const table = row.table === null ? undefined : pre.get(row.table);
    // An index that goes with its table is the table's drop, not an index dropped from a table still in use.
    if (table && row.table !== null && after.relations.has(row.table) && !after.relations.has(row.oid)) {
      changes.push({ kind: 'index-dropped', table, index: row.name });
    }
  }
  return changes;
}

function columnChanges(before: CatalogState, after: CatalogState, pre: PreExisting): CatalogChange[] {
  const changes: CatalogChange[] = [];
  for (const [key, now] of after.columns) {
    const table = pre.get(now.relation);
    if (!table) continue;
    const was = before.columns.get(key);
    if (!was) {
      if (!now.dropped) changes.push({ kind: 'column-added', table, column: now.name });
    } else if (!was.dropped && now.dropped) {
      changes.push({ kind: 'column-dropped', table, column: was.name });
    } else if (!was.dropped) {
      if (was.type !== now.type) changes.push({ kind: 'column-type', table, column: now.name, from: was.type, to: now.type });
      if (!was.notNull && now.notNull) changes.push({ kind: 'not-null-set', table, column: now.name });
    }
  }
  return changes;
}

const CONSTRAINT_TYPES = { c: 'check', f: 'foreign key', u: 'unique', p: 'primary key', x: 'exclusion' } as const;

function constraintChanges(before: CatalogState, after: CatalogState, pre: PreExisting): CatalogChange[] {
  const changes: CatalogChange[] = [];
  for (const now of after.constraints.values()) {
    const table = pre.get(now.relation);
    if (!table) continue;
    const was = before.constraints.get(now.oid);
    if (!was) {
      const type = CONSTRAINT_TYPES[now.type as keyof typeof CONSTRAINT_TYPES] ?? 'other';
      const references = pre.get(now.references);
      changes.push({ kind: 'constraint-added', table, constraint: now.name, type, validated: now.validated, ...defined({ references }) });
    } else if (!was.validated && now.validated) {
      changes.push({ kind: 'constraint-validated', table, constraint: now.name });
    }
  }
  return changes;
}

/** A statement on one line, whitespace runs made one space, cut at `width` characters with an ellipsis. */
export function statementSummary(text: string, width = 60): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const characters = [...line];
  return characters.length <= width ? line : `${characters.slice(0, width - 1).join('').trimEnd()}…`;
}
