/**
 * The fields of `fields` whose value is not undefined. Options are declared with `exactOptionalPropertyTypes`,
 * where `{ to: undefined }` is not the same as `{}`: this builds the second from a record of maybes.
 */
export function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) kept[key] = value;
  return kept as { [K in keyof T]?: Exclude<T[K], undefined> };
}
