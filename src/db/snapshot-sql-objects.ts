/** The snapshot's objects outside relations: schemas, routines, types, extensions, and every comment. */
import { aclText, type Part } from './snapshot-sql-part.js';

const schemas: Part = {
  kind: `'schema'`,
  name: 'quote_ident(n.nspname)',
  grp: `'schema ' || quote_ident(n.nspname)`,
  fields: `'{}'::jsonb`,
  repair: `jsonb_build_object('comment', 'SCHEMA ' || quote_ident(n.nspname))`,
  owner: 'pg_get_userbyid(n.nspowner)',
  acl: aclText('n.nspacl', 'n', 'n.nspowner'),
  ident: `'pg_namespace/' || n.oid || '/0'`,
  from: 'FROM ns n',
};

const ROUTINE_KIND = `CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END`;
const ROUTINE_NAME = `format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))`;

/** An aggregate has no CREATE text of its own to print: its parts are compared instead. */
const routines: Part = {
  kind: ROUTINE_KIND,
  name: ROUTINE_NAME,
  grp: `${ROUTINE_KIND} || ' ' || ${ROUTINE_NAME}`,
  fields: `CASE WHEN p.prokind = 'a' THEN jsonb_build_object('result', pg_get_function_result(p.oid), 'state function', g.aggtransfn::text,
      'state type', format_type(g.aggtranstype, NULL), 'final function', nullif(g.aggfinalfn, 0)::regproc::text,
      'combine function', nullif(g.aggcombinefn, 0)::regproc::text, 'initial value', g.agginitval,
      'kind', CASE g.aggkind WHEN 'n' THEN 'normal' WHEN 'o' THEN 'ordered-set' WHEN 'h' THEN 'hypothetical-set' END,
      'sort operator', nullif(g.aggsortop, 0)::regoperator::text)
    ELSE jsonb_build_object('definition', pg_get_functiondef(p.oid)) END`,
  repair: `jsonb_build_object('comment', upper(${ROUTINE_KIND}) || ' ' || ${ROUTINE_NAME})`,
  owner: 'pg_get_userbyid(p.proowner)',
  acl: aclText('p.proacl', 'f', 'p.proowner'),
  ident: `'pg_proc/' || p.oid || '/0'`,
  from: `FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace LEFT JOIN pg_aggregate g ON g.aggfnoid = p.oid
 WHERE NOT EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
   -- A range type's constructors are made with it, and go with it.
   AND NOT EXISTS (SELECT FROM pg_depend WHERE classid = 'pg_proc'::regclass AND objid = p.oid AND deptype = 'i')`,
};

const TYPE_KIND = `CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'range type' END`;

const types: Part = {
  kind: TYPE_KIND,
  name: 't.qname',
  grp: `${TYPE_KIND} || ' ' || t.qname`,
  fields: `CASE t.typtype
    WHEN 'e' THEN jsonb_build_object('labels', (SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid))
    WHEN 'd' THEN jsonb_build_object('type', format_type(t.typbasetype, t.typtypmod), 'not null', CASE WHEN t.typnotnull THEN 'yes' ELSE 'no' END,
      'default', pg_get_expr(t.typdefaultbin, 0),
      'collation', CASE WHEN t.typcollation <> (SELECT typcollation FROM pg_type WHERE oid = t.typbasetype) THEN t.typcollation::regcollation::text END)
    ELSE (SELECT jsonb_build_object('subtype', format_type(rngsubtype, NULL), 'collation', nullif(rngcollation, 0)::regcollation::text,
      'operator class', (SELECT quote_ident(opcname) FROM pg_opclass WHERE oid = rngsubopc),
      'canonical', nullif(rngcanonical, 0)::regproc::text, 'subtype diff', nullif(rngsubdiff, 0)::regproc::text) FROM pg_range WHERE rngtypid = t.oid) END`,
  repair: `jsonb_build_object('comment', CASE t.typtype WHEN 'd' THEN 'DOMAIN ' ELSE 'TYPE ' END || t.qname)`,
  owner: 'pg_get_userbyid(t.typowner)',
  acl: aclText('t.typacl', 'T', 't.typowner'),
  ident: `'pg_type/' || t.oid || '/0'`,
  from: 'FROM typ t',
};

/** What an extension creates is the extension's: its name, version and schema stand for all of it. */
function extensions(inScope: string): Part {
  return {
    kind: `'extension'`,
    name: 'quote_ident(e.extname)',
    grp: `'extension ' || quote_ident(e.extname)`,
    fields: `jsonb_build_object('version', e.extversion, 'schema', quote_ident(n.nspname))`,
    repair: `jsonb_build_object('comment', 'EXTENSION ' || quote_ident(e.extname))`,
    ident: `'pg_extension/' || e.oid || '/0'`,
    from: `FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE ${inScope}`,
  };
}

/**
 * Every comment on a user object; takeSnapshot keeps those whose object is in the snapshot. The system's
 * objects are below the first user oid, and so are two that a fresh database has and a snapshot holds: the
 * public schema and the plpgsql extension (the same comment on both sides unless someone changed it).
 */
const descriptions: Part = {
  kind: `'description'`,
  name: 'NULL',
  grp: 'NULL',
  fields: `jsonb_build_object('text', d.description)`,
  ident: `d.classoid::regclass::text || '/' || d.objoid || '/' || d.objsubid`,
  from: `FROM pg_description d WHERE d.objoid >= 16384 OR d.classoid IN ('pg_namespace'::regclass, 'pg_extension'::regclass)`,
};

export function objectParts(extensionsInScope: string): readonly Part[] {
  return [schemas, routines, types, extensions(extensionsInScope), descriptions];
}
