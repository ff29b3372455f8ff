/**
 * How big the target's relations are, for weighing a trace's locks. Only pg_class is read: relpages and
 * reltuples are what VACUUM and ANALYZE last recorded (summed over the partitions of a partitioned table).
 * A size function (pg_relation_size and the like) opens the relation with a lock of its own, which would
 * queue behind a migration holding ACCESS EXCLUSIVE.
 */
import { quoteLiteral } from '../core/sql-quote.js';
import { relationKey, type RelationSize, type TracedRelation } from '../core/trace-types.js';
import type { Session } from './session.js';

interface SizeRow {
  readonly schema: string;
  readonly name: string;
  readonly bytes: string;
  readonly rows: number;
}

/** Keyed by relationKey; a relation the target does not have is not in the map. */
export async function relationSizes(session: Session, relations: readonly Pick<TracedRelation, 'schema' | 'name'>[]): Promise<Map<string, RelationSize>> {
  const sizes = new Map<string, RelationSize>();
  if (relations.length === 0) return sizes;
  const wanted = relations.map(({ schema, name }) => `(${quoteLiteral(schema)}, ${quoteLiteral(name)})`).join(', ');
  // A partitioned table has no pages of its own (relpages -1), and its reltuples already counts its
  // partitions' rows: its size and rows are its partitions', at every level.
  const { rows } = await session.query<SizeRow>(
    `WITH RECURSIVE roots AS (
       SELECT c.oid, n.nspname AS schema, c.relname AS name
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE (n.nspname, c.relname) IN (${wanted})
     ), tree(root, oid) AS (
       SELECT oid, oid FROM roots
       UNION ALL
       SELECT tree.root, i.inhrelid FROM tree JOIN pg_catalog.pg_inherits i ON i.inhparent = tree.oid
     )
     SELECT r.schema, r.name,
            (sum(GREATEST(c.relpages, 0)::bigint + GREATEST(COALESCE(t.relpages, 0), 0)) * pg_catalog.current_setting('block_size')::bigint)::text AS bytes,
            CASE WHEN bool_or(c.reltuples < 0 AND c.relkind NOT IN ('p', 'I')) THEN -1
                 ELSE sum(CASE WHEN c.relkind IN ('p', 'I') THEN 0 ELSE c.reltuples END) END::float8 AS rows
       FROM roots r
       JOIN tree ON tree.root = r.oid
       JOIN pg_catalog.pg_class c ON c.oid = tree.oid
       LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid
      GROUP BY r.schema, r.name`,
  );
  for (const row of rows) {
    // -1: never vacuumed or analyzed (PostgreSQL 14 and later), so the row count is not known.
    sizes.set(relationKey(row), { bytes: Number(row.bytes), rows: row.rows < 0 ? undefined : row.rows });
  }
  return sizes;
}
