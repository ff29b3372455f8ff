/**
 * Where the CLI's database comes from, in this order: --database, DATABASE_URL, the libpq PG* variables,
 * then the embedded server; and how a .env file is merged into the environment. It is given the
 * environment as a map: cli-environment.ts reads process.env and the .env file.
 */
import { join } from 'node:path';
import { defined } from '../core/defined.js';
import { isPgshiftError, PgshiftError, rewrap } from '../core/errors.js';
import type { DatabaseTarget } from '../migrator-types.js';
import { parseNumber, type NumberKind } from '../core/numbers.js';
import { resolveEndpoint } from '../db/endpoint.js';
import { isPostgresUrl, SSL_MODES, type ConnectionSettings, type SslMode } from '../db/settings.js';
import { DEFAULTS } from './defaults.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Variables that say which server and database: one of them in the real environment outranks all of .env's. */
export const TARGET_VARIABLES = ['DATABASE_URL', 'PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGSERVICE'] as const;
const LIBPQ_TARGET = TARGET_VARIABLES.filter((name) => name !== 'DATABASE_URL');

export interface DatabaseChoice {
  readonly target: DatabaseTarget;
  /** Which rule picked it. */
  readonly source: '--database' | 'DATABASE_URL' | 'PG variables' | 'embedded';
}

/** Connection options given on the command line rather than in the environment. */
export interface ConnectionFlags {
  readonly passwordCommand?: string | undefined;
  readonly connectTimeoutSeconds?: number | undefined;
}

/** A .env file as read: its path and its variables, kept apart from process.env. */
export interface DotenvFile {
  readonly path: string;
  readonly values: Environment;
}

/** The environment pgshift goes by: the real one, plus what .env may add to it. */
export interface MergedEnvironment {
  readonly env: Environment;
  /** The .env file, when one was read. */
  readonly dotenvPath?: string;
  /** The variables taken from it. */
  readonly fromDotenv: ReadonlySet<string>;
  /** Target variables of .env left unused because the real environment defines the target... */
  readonly ignored: readonly string[];
  /** ...with these. */
  readonly targetSetBy: readonly string[];
}

/**
 * A .env never overrides a variable already set. And the target is defined by one place only: when the
 * real environment sets any target variable, .env's target variables are all ignored, so an exported
 * PGDATABASE=prod_db is never combined with (or beaten by) a DATABASE_URL left in a local .env.
 */
export function mergeEnvironment(real: Environment, dotenv: DotenvFile | undefined): MergedEnvironment {
  const env: Record<string, string | undefined> = { ...real };
  const fromDotenv = new Set<string>();
  const ignored: string[] = [];
  const targetSetBy = TARGET_VARIABLES.filter((name) => nonEmpty(real[name]) !== undefined);
  const realTarget = targetSetBy.length > 0;
  for (const [name, value] of Object.entries(dotenv?.values ?? {})) {
    if (real[name] !== undefined) continue;
    if (realTarget && (TARGET_VARIABLES as readonly string[]).includes(name)) {
      ignored.push(name);
      continue;
    }
    env[name] = value;
    fromDotenv.add(name);
  }
  return { env, fromDotenv, ignored, targetSetBy, ...defined({ dotenvPath: dotenv?.path }) };
}

export function resolveDatabase(
  flag: string | undefined,
  environment: Environment | MergedEnvironment,
  cwd: string,
  flags: ConnectionFlags = {},
): DatabaseChoice {
  const merged: MergedEnvironment = isMerged(environment) ? environment : { env: environment, fromDotenv: new Set(), ignored: [], targetSetBy: [] };
  const { env } = merged;
  const url = nonEmpty(flag) ?? nonEmpty(env['DATABASE_URL']);
  if (url !== undefined) {
    const source = nonEmpty(flag) === undefined ? 'DATABASE_URL' : '--database';
    if (!isPostgresUrl(url)) {
      throw new PgshiftError('USAGE', `${source} must be a postgres:// or postgresql:// URL`, {
        hint: 'for example postgres://app:secret@localhost:5432/app',
      });
    }
    const origin = source === '--database' ? source : `DATABASE_URL from ${originOf(merged, ['DATABASE_URL'])}`;
    try {
      // Every part of the URL is checked now, before anything connects.
      resolveEndpoint({ url });
    } catch (error) {
      // Where the URL came from: a DATABASE_URL in a .env file is not in the shell's environment to be found.
      throw isPgshiftError(error) ? rewrap(error, error.code, `${error.message} (the URL is ${origin})`, defined({ hint: error.hint })) : error;
    }
    // As libpq does, PGPASSWORD serves a URL that has no password of its own.
    const password = nonEmpty(env['PGPASSWORD']);
    const settings = commonSettings(merged, flags, origin);
    return { target: { url, ...settings, ...defined({ password }) }, source };
  }
  const setVariables = LIBPQ_TARGET.filter((name) => nonEmpty(env[name]) !== undefined);
  if (setVariables.length > 0) {
    const origin = `${setVariables.join(', ')} from ${originOf(merged, setVariables)}`;
    return { target: { ...libpqSettings(merged), ...commonSettings(merged, flags, origin) }, source: 'PG variables' };
  }
  const refusedBy = truthy(env['CI']) ? 'CI is set' : env['NODE_ENV'] === 'production' ? 'NODE_ENV=production' : undefined;
  if (refusedBy) {
    throw new PgshiftError('EMBEDDED_REFUSED', `no database configured, and the embedded database is refused because ${refusedBy}`, {
      hint: 'set DATABASE_URL (or --database, or PGHOST and friends): a deploy must not migrate a local throwaway database by mistake',
    });
  }
  return { target: { embedded: { dir: join(cwd, DEFAULTS.embeddedDir) } }, source: 'embedded' };
}

function isMerged(environment: Environment | MergedEnvironment): environment is MergedEnvironment {
  return (environment as MergedEnvironment).fromDotenv instanceof Set;
}

function originOf(merged: MergedEnvironment, names: readonly string[]): string {
  return names.some((name) => merged.fromDotenv.has(name)) ? (merged.dotenvPath ?? DEFAULTS.envFile) : 'the environment';
}

/**
 * A number from the environment or .env, checked as a flag's is, and refused as the setting it is:
 * CONFIG_INVALID, naming the .env file it came from where it did. Unset or empty: undefined.
 */
export function environmentNumber(merged: MergedEnvironment, name: string, kind: NumberKind): number | undefined {
  const raw = nonEmpty(merged.env[name]);
  if (raw === undefined) return undefined;
  try {
    return parseNumber(name, raw, kind, shownVariable(merged, name));
  } catch (error) {
    if (!isPgshiftError(error)) throw error;
    throw rewrap(error, 'CONFIG_INVALID', error.message, { hint: `${error.hint ?? `fix ${name}`}, or unset it` });
  }
}

/** A variable as a message shows it: `NAME=value`, and the .env file it came from where it did. */
export function shownVariable(merged: MergedEnvironment, name: string): string {
  const shown = `${name}=${merged.env[name] ?? ''}`;
  return merged.fromDotenv.has(name) ? `${shown} (from ${merged.dotenvPath ?? DEFAULTS.envFile})` : shown;
}

/** What applies to a URL and to the PG variables alike; a URL's own sslmode and sslrootcert win over these. */
function commonSettings(merged: MergedEnvironment, flags: ConnectionFlags, origin: string): ConnectionSettings {
  const { env } = merged;
  const sslmode = nonEmpty(env['PGSSLMODE']);
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode as SslMode)) {
    throw new PgshiftError('CONFIG_INVALID', `${shownVariable(merged, 'PGSSLMODE')} is not one of ${SSL_MODES.join(', ')}`, {
      hint: 'set PGSSLMODE to one of those (require encrypts; verify-full also checks the certificate and host name), or unset it',
    });
  }
  const timeout = flags.connectTimeoutSeconds ?? environmentNumber(merged, 'PGCONNECT_TIMEOUT', 'positive-seconds');
  const passwordCommand = nonEmpty(flags.passwordCommand) ?? nonEmpty(env['PGSHIFT_PASSWORD_COMMAND']);
  const rootCert = nonEmpty(env['PGSSLROOTCERT']);
  return {
    applicationName: nonEmpty(env['PGAPPNAME']) ?? DEFAULTS.applicationName,
    origin,
    ...defined({ sslmode: sslmode as SslMode | undefined, sslrootcert: rootCert, passwordCommand, connectTimeoutSeconds: timeout }),
  };
}

/** The libpq variables; what they leave out takes libpq's defaults when connecting (socket or localhost, 5432, the OS user). */
function libpqSettings(merged: MergedEnvironment): ConnectionSettings {
  const { env } = merged;
  const service = nonEmpty(env['PGSERVICE']);
  if (service !== undefined) {
    throw new PgshiftError('CONFIG_INVALID', `${shownVariable(merged, 'PGSERVICE')} is set, and pgshift does not read connection service files`, {
      hint: 'unset PGSERVICE and give the service\'s settings as DATABASE_URL (or PGHOST, PGPORT, PGDATABASE, PGUSER)',
    });
  }
  const port = nonEmpty(env['PGPORT']);
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw new PgshiftError('CONFIG_INVALID', `${shownVariable(merged, 'PGPORT')} is not a port number`, { hint: 'set PGPORT to the server\'s port (5432 by default), or unset it' });
  }
  return defined({
    host: nonEmpty(env['PGHOST']),
    hostaddr: nonEmpty(env['PGHOSTADDR']),
    port: port === undefined ? undefined : Number(port),
    user: nonEmpty(env['PGUSER']),
    password: env['PGPASSWORD'],
    database: nonEmpty(env['PGDATABASE']),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.toLowerCase());
}
