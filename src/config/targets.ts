/**
 * The targets of a many-database run as written: a targets file (`--targets`) and repeated `--database`
 * flags, each target a URL or `name=URL`. `${VAR}` is taken from the environment so that secrets stay out
 * of the file; an unset variable stops the run before anything connects. Nothing here prints a URL: a
 * target is named by its name, or by host:port/database, and a line by its number.
 */
import { PgshiftError } from '../core/errors.js';
import { endpointName } from '../db/endpoint.js';
import { isPostgresUrl } from '../db/settings.js';
import type { Environment } from './environment.js';

/** One target as written, its variables expanded. */
export interface TargetLine {
  readonly name: string;
  readonly url: string;
  /** Where it was written, for messages: `targets.txt:3`, `--database (2nd)`. */
  readonly where: string;
}

const NAMED = /^([A-Za-z0-9_.-]+)=(.*)$/s;
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const FORMAT_HINT = 'write one target a line: postgres://user@host:5432/db, or name=postgres://...; ${VAR} takes VAR from the environment; # starts a comment';

/** The targets of a targets file's text; `file` names it in messages. */
export function parseTargetsText(text: string, file: string, env: Environment): TargetLine[] {
  const targets: TargetLine[] = [];
  const endpoints: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    // A comment is a whole line, or what follows whitespace and #: a URL holds no whitespace.
    const line = raw.replace(/(^|\s)#.*$/s, '').trim();
    if (line === '') continue;
    const where = `${file}:${index + 1}`;
    const named = NAMED.exec(line);
    const written = named ? (named[2] as string) : line;
    if (!isPostgresUrl(written)) {
      throw new PgshiftError('USAGE', `${where}: not a target: expected a postgres:// URL or name=postgres://...`, { hint: FORMAT_HINT });
    }
    const url = expandVariables(written, env, where);
    // Read a named line's URL too: one that cannot be read stops the run here, before any target runs.
    const endpoint = defaultName(url, where);
    targets.push({ name: named ? (named[1] as string) : endpoint, url, where });
    endpoints.push(endpoint);
  }
  if (targets.length === 0) throw new PgshiftError('USAGE', `${file} names no target`, { hint: FORMAT_HINT });
  // One database under two names is one ledger too (the ledger's schema and table are the run's, not a line's).
  return refuseDuplicates(refuseDuplicates(targets), endpoints, 'database');
}

/** Repeated --database flags as targets (they take no name= and no ${VAR}: the shell expands those). */
export function databaseFlagTargets(urls: readonly string[]): TargetLine[] {
  return refuseDuplicates(
    urls.map((url, index) => {
      const where = `--database (${ordinal(index + 1)})`;
      if (!isPostgresUrl(url)) throw new PgshiftError('USAGE', `${where} must be a postgres:// or postgresql:// URL`, { hint: 'for example postgres://app@localhost:5432/app' });
      return { name: defaultName(url, where), url, where };
    }),
  );
}

/**
 * `${VAR}` replaced by its value. In the user and password part a value is percent-encoded, so a token
 * holding `@`, `/` or `:` still makes the URL it was meant to. Anywhere else a value holding a character
 * that changes a URL's structure is refused: it would send the run to another host or database.
 */
export function expandVariables(text: string, env: Environment, where: string): string {
  const malformed = /\$\{(?![A-Za-z_][A-Za-z0-9_]*\})/.exec(text);
  if (malformed) {
    throw new PgshiftError('USAGE', `${where}: \${ opens something other than \${NAME}`, {
      hint: 'write ${NAME} (letters, digits, _) for a variable; defaults such as ${NAME:-x} are not supported. To write $ itself, percent-encode it as %24',
    });
  }
  const authority = text.slice(0, text.indexOf('/', text.indexOf('//') + 2) >>> 0);
  const userInfoEnd = authority.lastIndexOf('@');
  return text.replace(VARIABLE, (_placeholder, name: string, offset: number) => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new PgshiftError('USAGE', `${where}: \${${name}} is ${value === undefined ? 'not set' : 'set but empty'}`, {
        hint: `export ${name} (or set it in .env) before running pgshift: a target is never run with an empty value in its place`,
      });
    }
    if (offset < userInfoEnd) return encodeURIComponent(value);
    if (/[@/?#&\s]/.test(value)) {
      throw new PgshiftError('USAGE', `${where}: \${${name}} holds a character (@ / ? # & or a space) that would change where the URL points`, {
        hint: 'percent-encode it in the variable, or use variables for the user and password only, where pgshift encodes them',
      });
    }
    return value;
  });
}

function defaultName(url: string, where: string): string {
  try {
    return endpointName({ url });
  } catch (error) {
    if (error instanceof PgshiftError) throw new PgshiftError(error.code, `${where}: ${error.message}`, error.hint === undefined ? {} : { hint: error.hint });
    throw error;
  }
}

/** Refuses two targets with one key: their names, or the databases (host:port/database) they reach. */
function refuseDuplicates(targets: TargetLine[], keys: readonly string[] = targets.map((target) => target.name), what = 'target'): TargetLine[] {
  const seen = new Map<string, string>();
  for (const [index, target] of targets.entries()) {
    const key = keys[index] as string;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new PgshiftError('USAGE', `${first} and ${target.where} are both the ${what} ${key}`, {
        hint: what === 'target' ? 'give each target a name of its own' : 'list each database once: one database must not be migrated twice in one run',
      });
    }
    seen.set(key, target.where);
  }
  return targets;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
