/**
 * The catalog query behind takeSnapshot, one SELECT per kind of object, all with the same columns:
 * kind, name, grp (the group), fields, cosmetic and repair (jsonb), owner and acl (privileges), and ident
 * ("pg_class/16385/2": the object as pg_description names it, which ties a comment to its entry).
 * Run with search_path = pg_catalog, so that every name the server prints is schema-qualified.
 */
import { objectParts } from './snapshot-sql-objects.js';
import { select } from './snapshot-sql-part.js';
import { RELATION_PARTS } from './snapshot-sql-relations.js';

export interface SnapshotScope {
  /** The relations left out, as to_regclass() arguments: pgshift's ledger and progress tables. */
  readonly skippedTables: readonly string[];
  /** SQL literals of the schemas to snapshot; undefined: every schema but the system's. */
  readonly schemas: readonly string[] | undefined;
}

export function snapshotSql(scope: SnapshotScope): string {
  const skipped = scope.skippedTables.map((name) => `to_regclass(${name})`).join(', ');
  const inScope = scope.schemas === undefined ? '' : ` AND nspname IN (${scope.schemas.join(', ') || 'NULL'})`;
  const extensionsInScope = scope.schemas === undefined ? 'true' : 'e.extnamespace IN (SELECT oid FROM ns)';
  return `WITH ns AS (SELECT oid, nspname, nspowner, nspacl FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'${inScope}),
ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
ours AS (SELECT oid FROM pg_class WHERE oid IN (${skipped})),
skip AS (SELECT oid FROM ours
         UNION SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM ours)
         UNION SELECT objid FROM pg_depend WHERE classid = 'pg_class'::regclass AND refobjid IN (SELECT oid FROM ours) AND deptype IN ('a', 'i')),
rel AS (SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, c.reloptions, c.relrowsecurity, c.relforcerowsecurity,
               c.relispartition, c.relpartbound, c.relpersistence, c.reltype, format('%I.%I', n.nspname, c.relname) AS qname,
               CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' WHEN 'v' THEN 'view'
                 WHEN 'm' THEN 'materialized view' WHEN 'c' THEN 'composite type' WHEN 'S' THEN 'sequence' ELSE 'index' END AS kind
          FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c', 'S', 'i', 'I') AND c.oid NOT IN (SELECT oid FROM skip)
           AND NOT EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)),
typ AS (SELECT t.*, format('%I.%I', n.nspname, t.typname) AS qname FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
         WHERE t.typtype IN ('e', 'd', 'r') AND NOT EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid))
${[...RELATION_PARTS, ...objectParts(extensionsInScope)].map(select).join('\nUNION ALL\n')}`;
}
