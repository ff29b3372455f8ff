/** Checks of plain data read back from the parse cache's JSON, whose shape nothing guarantees. */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A character index into a file. */
export function isIndex(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}
