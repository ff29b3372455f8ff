/** The shape every SELECT of the snapshot query shares, and the pieces its kinds of object have in common. */

/** One SELECT of the union; columns left out are NULL. */
export interface Part {
  readonly kind: string;
  readonly name: string;
  readonly grp: string;
  readonly fields: string;
  readonly cosmetic?: string;
  readonly repair?: string;
  readonly owner?: string;
  readonly acl?: string;
  readonly ident: string;
  /** FROM ... [WHERE ...] [WINDOW ...] */
  readonly from: string;
}

/** The object's grants in a stable order, NULL meaning the object's default grants spelt out. */
export function aclText(acl: string, type: 'r' | 's' | 'f' | 'T' | 'n', owner: string): string {
  return `(SELECT string_agg(item::text, ' ' ORDER BY item::text) FROM unnest(coalesce(${acl}, acldefault('${type}', ${owner}))) item)`;
}

export function select(part: Part): string {
  const { kind, name, grp, fields, cosmetic = 'NULL', repair = 'NULL', owner = 'NULL', acl = 'NULL', ident, from } = part;
  return `SELECT ${kind} AS kind, ${name} AS name, ${grp} AS grp, jsonb_strip_nulls(${fields})::text AS fields,
       (${cosmetic})::text AS cosmetic, (${repair})::text AS repair, (${owner})::text AS owner, (${acl})::text AS acl, ${ident} AS ident
  ${from}`;
}

