/**
 * What the lock trace observes: each statement of a migration run on a scratch copy of the schema, and
 * what it did to the relations that existed before its file. The executor records it (executor/trace.ts);
 * the findings and their verdicts are decided from it alone (lint/trace-findings.ts).
 */
import type { Finding } from './finding.js';

/** pg_locks' names, weakest first: the order is the order of strength. */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

export type RelationKind = 'table' | 'partitioned table' | 'materialized view' | 'index' | 'partitioned index' | 'sequence' | 'view' | 'other';

/** A relation that existed before the file ran. */
export interface TracedRelation {
  readonly schema: string;
  readonly name: string;
  readonly kind: RelationKind;
  /** For an index, the table it is on ("schema.name" as `relationKey` gives it). */
  readonly table?: string;
}

export interface HeldLock {
  readonly relation: TracedRelation;
  /** The strongest mode this backend holds on the relation. */
  readonly mode: LockMode;
}

/** What a statement changed in the catalogs about a relation that existed before the file. */
export type CatalogChange =
  | { readonly kind: 'rewrite'; readonly relation: TracedRelation }
  | { readonly kind: 'index-created'; readonly table: TracedRelation; readonly index: string }
  | { readonly kind: 'index-dropped'; readonly table: TracedRelation; readonly index: string }
  | { readonly kind: 'column-added'; readonly table: TracedRelation; readonly column: string }
  | { readonly kind: 'column-type'; readonly table: TracedRelation; readonly column: string; readonly from: string; readonly to: string }
  | { readonly kind: 'column-dropped'; readonly table: TracedRelation; readonly column: string }
  | { readonly kind: 'not-null-set'; readonly table: TracedRelation; readonly column: string }
  | {
      readonly kind: 'constraint-added';
      readonly table: TracedRelation;
      readonly constraint: string;
      readonly type: 'check' | 'foreign key' | 'unique' | 'primary key' | 'exclusion' | 'other';
      /** Added valid: the server checked every existing row (NOT VALID skips that). */
      readonly validated: boolean;
      /** A foreign key's referenced table, when it existed before the file. */
      readonly references?: TracedRelation;
    }
  | { readonly kind: 'constraint-validated'; readonly table: TracedRelation; readonly constraint: string };

/**
 * How the statement's locks were read: `after` it, in its still open transaction; `while-waiting`, from a
 * second session while the statement (one that cannot run in a transaction block) waited for it; or not at
 * all (`unobserved`): it ran alone and had released them before they could be read.
 */
export type LockObservation = 'after' | 'while-waiting' | 'unobserved';

export interface StatementTrace {
  /** 1-based, as the report counts statements. */
  readonly number: number;
  /** Where it starts in the file, 1-based. */
  readonly line: number;
  readonly column: number;
  /** Offsets of the statement in the file's text, as analyzeScript gives them. */
  readonly start: number;
  readonly end: number;
  /** The statement's text on one line, shortened for a table. */
  readonly summary: string;
  /**
   * Locks held on relations that existed before the file, right after the statement (in a transactional
   * file, everything held so far: locks accumulate until commit).
   */
  readonly locks: readonly HeldLock[];
  readonly observed: LockObservation;
  readonly changes: readonly CatalogChange[];
}

export interface FileTrace {
  readonly path: string;
  /** The migration's; a repeatable file has none. */
  readonly version?: number;
  readonly name: string;
  /** One transaction for the whole file; false for a -- pgshift:no-transaction file (each statement commits). */
  readonly transaction: boolean;
  readonly statements: readonly StatementTrace[];
}

/** `schema.name`, quoted only where needed: how reports and the size map name a relation. */
export function relationKey(relation: Pick<TracedRelation, 'schema' | 'name'>): string {
  const part = (name: string): string => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);
  return `${part(relation.schema)}.${part(relation.name)}`;
}

/** Size of a relation on the target, from pg_class: never a size function, which would take a lock. */
export interface RelationSize {
  /** relpages × block size, the table's own pages plus its TOAST table's; a partitioned table's, its partitions'. */
  readonly bytes: number;
  /** reltuples; undefined where the table was never vacuumed or analyzed (reltuples = -1). */
  readonly rows: number | undefined;
}

export function lockRank(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode);
}

/** Conflicts with ROW EXCLUSIVE, the lock INSERT, UPDATE and DELETE take: SHARE and stronger. */
export function blocksWrites(mode: LockMode): boolean {
  return lockRank(mode) >= lockRank('ShareLock');
}

/** Relations whose rows other sessions read and write: a lock on an index or a sequence is stated, not judged. */
export function isTable(relation: Pick<TracedRelation, 'kind'>): boolean {
  return relation.kind === 'table' || relation.kind === 'partitioned table' || relation.kind === 'materialized view';
}

/** The locks of `now` that `before` did not hold, or held weaker: what a statement took. */
export function locksTaken(before: readonly HeldLock[], now: readonly HeldLock[]): HeldLock[] {
  const earlier = new Map(before.map((lock) => [relationKey(lock.relation), lock.mode]));
  return now.filter((lock) => {
    const had = earlier.get(relationKey(lock.relation));
    return had === undefined || lockRank(had) < lockRank(lock.mode);
  });
}

/** "ACCESS EXCLUSIVE" for AccessExclusiveLock, as PostgreSQL's documentation names the modes. */
export function lockName(mode: LockMode): string {
  return mode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

/** A lock as the report states it: the strongest mode on a relation and how long the file holds it. */
export interface TraceHold {
  readonly relation: TracedRelation;
  readonly mode: LockMode;
  /** The statement that took it (1-based)... */
  readonly from: number;
  /** ...and the last one that runs under it: the file's last in a transaction ("to commit"), else `from`. */
  readonly to: number;
  /** Held until the file's transaction commits. */
  readonly untilCommit: boolean;
  /** From the target; undefined when no target was weighed, 'absent' when the target has no such relation. */
  readonly size?: RelationSize | 'absent';
}

/** One finding, in lint's format (core/finding.ts), plus the statement and relation it is about. */
export interface TraceFinding extends Finding {
  readonly statement: number;
  readonly relation: string;
}

/** A finding a `-- pgshift:allow RULE REASON` before its statement silenced. */
export interface AllowedTraceFinding extends TraceFinding {
  readonly reason: string;
}

export interface TraceFileReport extends FileTrace {
  readonly holds: readonly TraceHold[];
}

export interface TraceReport {
  readonly files: readonly TraceFileReport[];
  readonly findings: readonly TraceFinding[];
  readonly allowed: readonly AllowedTraceFinding[];
  /** Sizes were read from the target. */
  readonly weighed: boolean;
  /** The threshold in bytes (--big): a lock on a smaller table is reported, not a finding. */
  readonly big: number;
}
