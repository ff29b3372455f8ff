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

/**
 * A DO block around `body` (PL/pgSQL: DECLARE ... BEGIN ... END), dollar-quoted with a tag the body does not
 * hold: names pgshift puts in it (a schema, a ledger table, a file path) may contain `$pgshift$`.
 */
export function doBlock(body: string): string {
  let tag = '$pgshift$';
  for (let n = 1; body.includes(tag); n++) tag = `$pgshift${n}$`;
  return `DO ${tag} ${body} ${tag};\n`;
}
