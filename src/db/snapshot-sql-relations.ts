/** The snapshot's relations and what hangs off them: columns, constraints, indexes, sequences, triggers, policies. */
import { aclText, type Part } from './snapshot-sql-part.js';

const GROUP = `r.kind || ' ' || r.qname`;
const yesNo = (condition: string): string => `CASE WHEN ${condition} THEN 'yes' ELSE 'no' END`;
const onOff = (condition: string): string => `CASE WHEN ${condition} THEN 'on' ELSE 'off' END`;

const COMMENT_TARGET = `CASE r.relkind WHEN 'r' THEN 'TABLE ' WHEN 'p' THEN 'TABLE ' WHEN 'f' THEN 'FOREIGN TABLE ' WHEN 'v' THEN 'VIEW '
  WHEN 'm' THEN 'MATERIALIZED VIEW ' WHEN 'c' THEN 'TYPE ' END || r.qname`;

/**
 * From 17 on, a partition's column repeats its parent's identity (the parent's sequence serves both); before
 * 17 it has none. Either way the parent's identity is what counts, so a partition's copy of it is left out.
 */
const PARENTS_IDENTITY = `EXISTS (SELECT FROM pg_inherits i JOIN pg_attribute p ON p.attrelid = i.inhparent AND p.attname = a.attname
      WHERE r.relispartition AND i.inhrelid = r.oid AND p.attidentity <> '')`;

const relations: Part = {
  kind: 'r.kind',
  name: 'r.qname',
  grp: GROUP,
  fields: `CASE WHEN r.relkind IN ('v', 'm') THEN jsonb_build_object('definition', pg_get_viewdef(r.oid), 'options', array_to_string(r.reloptions, ', '))
    WHEN r.relkind = 'c' THEN '{}'::jsonb
    ELSE jsonb_build_object(
      'row level security', ${onOff('r.relrowsecurity')}, 'force row level security', ${onOff('r.relforcerowsecurity')},
      'partition key', pg_get_partkeydef(r.oid),
      'partition', (SELECT i.inhparent::regclass::text || ' ' || pg_get_expr(r.relpartbound, r.oid) FROM pg_inherits i WHERE r.relispartition AND i.inhrelid = r.oid),
      'inherits', (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) FROM pg_inherits i WHERE NOT r.relispartition AND i.inhrelid = r.oid),
      'options', array_to_string(r.reloptions, ', '),
      'unlogged', ${yesNo(`r.relpersistence = 'u'`)},
      'server', (SELECT quote_ident(s.srvname) || coalesce(' OPTIONS ' || array_to_string(ft.ftoptions, ', '), '')
                   FROM pg_foreign_table ft JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = r.oid)) END`,
  repair: `jsonb_build_object('comment', ${COMMENT_TARGET})`,
  owner: 'pg_get_userbyid(r.relowner)',
  acl: `CASE WHEN r.relkind <> 'c' THEN ${aclText('r.relacl', 'r', 'r.relowner')} END`,
  ident: `CASE WHEN r.relkind = 'c' THEN 'pg_type/' || r.reltype ELSE 'pg_class/' || r.oid END || '/0'`,
  from: `FROM rel r WHERE r.relkind IN ('r', 'p', 'f', 'v', 'm', 'c')`,
};

/**
 * A view's or materialized view's columns have no fields: its definition says what they are. They are here
 * for what hangs off them, a comment or a column grant; takeSnapshot compares no entry of their own.
 */
const columns: Part = {
  kind: `'column'`,
  name: `r.qname || '.' || quote_ident(a.attname)`,
  grp: GROUP,
  fields: `CASE WHEN r.relkind NOT IN ('v', 'm') THEN jsonb_build_object('type', format_type(a.atttypid, a.atttypmod), 'not null', ${yesNo('a.attnotnull')},
    'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
    'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
    'identity', CASE WHEN NOT ${PARENTS_IDENTITY} THEN CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END END,
    'collation', CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
    -- A composite value is written by position: there the order of the attributes is not cosmetic.
    'position', CASE WHEN r.relkind = 'c' THEN (row_number() OVER w)::text END) END`,
  cosmetic: `CASE WHEN r.relkind IN ('r', 'p', 'f') THEN jsonb_build_object('position', (row_number() OVER w)::text) END`,
  repair: `jsonb_build_object('table', r.qname, 'column', quote_ident(a.attname), 'comment', 'COLUMN ' || r.qname || '.' || quote_ident(a.attname))`,
  acl: `(SELECT string_agg(item::text, ' ' ORDER BY item::text) FROM unnest(a.attacl) item)`,
  ident: `'pg_class/' || r.oid || '/' || a.attnum`,
  from: `FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE r.relkind IN ('r', 'p', 'f', 'c', 'v', 'm')
 WINDOW w AS (PARTITION BY a.attrelid ORDER BY a.attnum)`,
};

/**
 * NOT NULL is compared where every version keeps it (the column's or the domain's not null field); newer
 * servers also list it as a constraint row (domains from 17, columns from 18), which would set two
 * versions apart over nothing.
 */
const NOT_NULL_ROWS = `k.contype <> 'n'`;

/** The server prints NOT VALID at the end of a constraint not validated yet: the definition holds its state. */
const constraintFields = `jsonb_build_object('definition', pg_get_constraintdef(k.oid))`;

/** Constraints of a table or of a domain: the same fields, named, grouped and repaired on their owner. */
function constraintsOf(owner: { readonly alias: string; readonly on: 'TABLE' | 'DOMAIN'; readonly grp: string; readonly join: string }): Part {
  const { alias, on, grp, join } = owner;
  // COMMENT ON CONSTRAINT names a table's constraint "ON t", a domain's "ON DOMAIN d".
  const commentOn = on === 'TABLE' ? ' ON ' : ' ON DOMAIN ';
  return {
    kind: `'constraint'`,
    name: `${alias}.qname || '.' || quote_ident(k.conname)`,
    grp,
    fields: constraintFields,
    repair: `jsonb_build_object('on', '${on} ' || ${alias}.qname, 'constraint', quote_ident(k.conname), 'type', k.contype::text,
    'comment', 'CONSTRAINT ' || quote_ident(k.conname) || '${commentOn}' || ${alias}.qname)`,
    ident: `'pg_constraint/' || k.oid || '/0'`,
    from: `FROM pg_constraint k JOIN ${join} WHERE ${NOT_NULL_ROWS}`,
  };
}

const tableConstraints = constraintsOf({ alias: 'r', on: 'TABLE', grp: GROUP, join: 'rel r ON r.oid = k.conrelid' });
const domainConstraints = constraintsOf({ alias: 't', on: 'DOMAIN', grp: `'domain ' || t.qname`, join: 'typ t ON t.oid = k.contypid' });

/** An index that implements a constraint is the constraint's: its definition is in the constraint's. */
const indexes: Part = {
  kind: `'index'`,
  name: 'x.qname',
  grp: GROUP,
  fields: `jsonb_build_object('definition', pg_get_indexdef(i.indexrelid), 'state', CASE WHEN i.indisvalid THEN 'valid' ELSE 'INVALID' END)`,
  repair: `jsonb_build_object('comment', 'INDEX ' || x.qname)`,
  ident: `'pg_class/' || x.oid || '/0'`,
  from: `FROM pg_index i JOIN rel x ON x.oid = i.indexrelid JOIN rel r ON r.oid = i.indrelid
 WHERE NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))`,
};

/** A sequence a column owns (serial, identity) belongs with that column's table. */
const sequences: Part = {
  kind: `'sequence'`,
  name: 'r.qname',
  grp: `coalesce(o.kind || ' ' || o.qname, 'sequence ' || r.qname)`,
  fields: `jsonb_build_object('type', format_type(s.seqtypid, NULL), 'start', s.seqstart::text, 'increment', s.seqincrement::text,
    'minimum', s.seqmin::text, 'maximum', s.seqmax::text, 'cycle', ${yesNo('s.seqcycle')},
    'owned by', o.qname || '.' || (SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = o.oid AND attnum = d.refobjsubid))`,
  repair: `jsonb_build_object('comment', 'SEQUENCE ' || r.qname)`,
  owner: 'pg_get_userbyid(r.relowner)',
  acl: aclText('r.relacl', 's', 'r.relowner'),
  ident: `'pg_class/' || r.oid || '/0'`,
  from: `FROM pg_sequence s JOIN rel r ON r.oid = s.seqrelid
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  LEFT JOIN rel o ON o.oid = d.refobjid`,
};

const triggers: Part = {
  kind: `'trigger'`,
  name: `r.qname || '.' || quote_ident(g.tgname)`,
  grp: GROUP,
  fields: `jsonb_build_object('definition', pg_get_triggerdef(g.oid),
    'state', CASE g.tgenabled WHEN 'O' THEN 'enabled' WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END)`,
  repair: `jsonb_build_object('table', r.qname, 'trigger', quote_ident(g.tgname), 'comment', 'TRIGGER ' || quote_ident(g.tgname) || ' ON ' || r.qname)`,
  ident: `'pg_trigger/' || g.oid || '/0'`,
  from: 'FROM pg_trigger g JOIN rel r ON r.oid = g.tgrelid WHERE NOT g.tgisinternal',
};

const policies: Part = {
  kind: `'policy'`,
  name: `r.qname || '.' || quote_ident(p.polname)`,
  grp: GROUP,
  fields: `jsonb_build_object(
    'command', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
    'type', CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
    'roles', (SELECT string_agg(CASE WHEN role = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(role)) END, ', ' ORDER BY 1) FROM unnest(p.polroles) role),
    'using', pg_get_expr(p.polqual, p.polrelid), 'with check', pg_get_expr(p.polwithcheck, p.polrelid))`,
  repair: `jsonb_build_object('table', r.qname, 'policy', quote_ident(p.polname), 'comment', 'POLICY ' || quote_ident(p.polname) || ' ON ' || r.qname)`,
  ident: `'pg_policy/' || p.oid || '/0'`,
  from: 'FROM pg_policy p JOIN rel r ON r.oid = p.polrelid',
};

export const RELATION_PARTS: readonly Part[] = [relations, columns, tableConstraints, domainConstraints, indexes, sequences, triggers, policies];
