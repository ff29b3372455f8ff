/** Quoting for the few values pgshift writes into SQL text itself. Everything user-given passes through here. */

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A string literal that reads the same whatever standard_conforming_strings is: backslashes force the
 * E'' form, where they are doubled.
 */
export function quoteLiteral(value: string): string {
  const quoted = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}
