/**
 * How big the target's relations are, for weighing a trace's locks. Only pg_class is read: relpages and
 * reltuples are what VACUUM and ANALYZE last recorded. A size function (pg_relation_size and the like) opens
 * the relation with a lock of its own, which would queue behind a migration holding ACCESS EXCLUSIVE.
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
  const { rows } = await session.query<SizeRow>(
    `SELECT n.nspname AS schema, c.relname AS name,
            ((c.relpages::bigint + COALESCE(t.relpages, 0)) * pg_catalog.current_setting('block_size')::bigint)::text AS bytes,
            c.reltuples::float8 AS rows
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid
      WHERE (n.nspname, c.relname) IN (${wanted})`,
  );
  for (const row of rows) {
    // -1: never vacuumed or analyzed (PostgreSQL 14 and later), so the row count is not known.
    sizes.set(relationKey(row), { bytes: Number(row.bytes), rows: row.rows < 0 ? undefined : row.rows });
  }
  return sizes;
}
