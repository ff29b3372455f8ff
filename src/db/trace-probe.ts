/**
 * The catalog reads the lock trace makes on its scratch session between a migration's statements. Every
 * name is qualified with pg_catalog: the migration may have changed search_path or the role, and a table
 * or function of its own must not stand in for the catalog's.
 */
import type { CatalogRows, ColumnRow, ConstraintRow, LockRow, RelationRow } from '../core/trace-diff.js';
import type { RelationKind } from '../core/trace-types.js';
import type { Session } from './session.js';

/** Schemas of user relations: not the catalogs, TOAST or another session's temporary tables (pg_ is reserved for those). */
const USER_SCHEMA = `n.nspname OPERATOR(pg_catalog.!~) '^pg_' AND n.nspname OPERATOR(pg_catalog.<>) 'information_schema'`;

const RELATIONS_SQL = `SELECT c.oid AS oid, n.nspname AS schema, c.relname AS name, c.relkind::pg_catalog.text AS relkind,
       c.relfilenode AS filenode, i.indrelid AS "table"
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid OPERATOR(pg_catalog.=) c.oid
WHERE ${USER_SCHEMA} AND c.relkind OPERATOR(pg_catalog.<>) 'c'
ORDER BY c.oid`;

const COLUMNS_SQL = `SELECT a.attrelid AS relation, a.attnum AS num, a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull", a.attisdropped AS dropped
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
WHERE ${USER_SCHEMA} AND a.attnum OPERATOR(pg_catalog.>) 0 AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,m,f}'::pg_catalog."char"[])
ORDER BY a.attrelid, a.attnum`;

const CONSTRAINTS_SQL = `SELECT k.oid AS oid, k.conrelid AS relation, k.conname AS name,
       k.contype::pg_catalog.text AS type, k.convalidated AS validated, k.confrelid AS "references"
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) k.connamespace
WHERE ${USER_SCHEMA} AND k.conrelid OPERATOR(pg_catalog.<>) 0
ORDER BY k.oid`;

const KINDS: Readonly<Record<string, RelationKind>> = {
  r: 'table',
  p: 'partitioned table',
  m: 'materialized view',
  i: 'index',
  I: 'partitioned index',
  S: 'sequence',
  v: 'view',
};

/** oid and int2 columns come back as numbers from the driver; relkind needs a name. */
export async function readCatalogRows(session: Session): Promise<CatalogRows> {
  const relations = await session.query<Omit<RelationRow, 'kind'> & { relkind: string }>(RELATIONS_SQL);
  const columns = await session.query<ColumnRow>(COLUMNS_SQL);
  const constraints = await session.query<ConstraintRow>(CONSTRAINTS_SQL);
  return {
    relations: relations.rows.map(({ relkind, ...row }) => ({ ...row, kind: KINDS[relkind] ?? 'other' })),
    columns: columns.rows,
    constraints: constraints.rows,
  };
}

/** The relation locks a backend holds (granted, not waited for), every mode of each. */
export async function readHeldLocks(session: Session, pid: number): Promise<LockRow[]> {
  const { rows } = await session.query<LockRow>(
    `SELECT relation, mode FROM pg_catalog.pg_locks
     WHERE locktype OPERATOR(pg_catalog.=) 'relation' AND pid OPERATOR(pg_catalog.=) ${pid} AND granted`,
  );
  return [...rows];
}

/** Whether backend `pid` is waiting for a lock `blocker` holds (a CREATE INDEX CONCURRENTLY waits so for older snapshots). */
export async function waitsFor(session: Session, pid: number, blocker: number): Promise<boolean> {
  const { rows } = await session.query<{ waiting: boolean }>(
    `SELECT ${blocker} OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids(${pid})) AS waiting`,
  );
  return rows[0]?.waiting === true;
}
