/**
 * Reading libpg-query's parse trees, which are untyped JSON: every accessor tolerates a missing field, since
 * a node only carries the fields its statement used.
 */

export type Node = Record<string, unknown>;

export const obj = (value: unknown): Node => (value && typeof value === 'object' ? (value as Node) : {});
export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** `{ Kind: {...} }` → ['Kind', {...}] */
export function unwrap(value: unknown): [string, Node] {
  const [entry] = Object.entries(obj(value));
  return entry ? [entry[0], obj(entry[1])] : ['', {}];
}

/** PostgreSQL folds unquoted names to lower case; comparing lower-cased names matches most files' intent. */
export const relName = (relation: unknown): string => str(obj(relation)['relname'])?.toLowerCase() ?? '';

/** The strings of a name list such as `funcname`, `keys` or a qualified type name. */
export const names = (items: unknown): string[] => list(items).map((item) => str(obj(obj(item)['String'])['sval']) ?? '');

/** The unqualified type of a column definition (`int4`, `varchar`, ...) and how many modifiers it has. */
export function typeName(columnDef: Node): { name: string; modifiers: number } {
  const type = obj(columnDef['typeName']);
  return { name: names(type['names']).at(-1) ?? '', modifiers: list(type['typmods']).length };
}

export const constraintsOf = (columnDef: Node): Node[] => list(columnDef['constraints']).map((item) => unwrap(item)[1]);

/** Whether any of the constraints is of one of the kinds (`CONSTR_PRIMARY`, `CONSTR_FOREIGN`, ...). */
export const hasConstraint = (constraints: readonly Node[], ...kinds: string[]): boolean =>
  constraints.some((constraint) => kinds.includes(str(constraint['contype']) ?? ''));

/** Whether `test` holds for the node or any node nested in it, at any depth. */
export function someNode(value: unknown, test: (node: Node) => boolean): boolean {
  if (Array.isArray(value)) return value.some((item) => someNode(item, test));
  if (!value || typeof value !== 'object') return false;
  const node = value as Node;
  return test(node) || Object.values(node).some((child) => someNode(child, test));
}
