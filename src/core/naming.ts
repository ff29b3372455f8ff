/** `NNN_name.sql`: NNN is one or more digits (the version, compared as an integer), name is [A-Za-z0-9_-]+. */
const MIGRATION_NAME = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;
const SQL_FILE = /\.sql$/i;

export interface ParsedName {
  readonly version: number;
  readonly name: string;
}

/** Whether pgshift owns this file at all: any `*.sql` must be a well-named migration, anything else is ignored. */
export function isSqlFile(baseName: string): boolean {
  return SQL_FILE.test(baseName);
}

/** The version and name of a file, or a reason it is not a valid migration name. */
export function parseFileName(baseName: string): ParsedName | { readonly error: string } {
  const match = MIGRATION_NAME.exec(baseName);
  if (!match) {
    return { error: 'name does not match NNN_name.sql (digits, an underscore, then letters, digits, _ or -)' };
  }
  const [, digits = '', name = ''] = match;
  const version = Number(digits);
  if (!Number.isSafeInteger(version)) {
    return { error: `version ${digits} is larger than ${Number.MAX_SAFE_INTEGER}` };
  }
  return { version, name };
}
