/**
 * Where the CLI's database comes from, in SPEC order: --database, DATABASE_URL, the libpq PG* variables,
 * then the embedded server. The only module that reads the environment.
 */
import { join } from 'node:path';
import { PgshiftError } from './core/errors.js';
import type { DatabaseTarget } from './api.js';
import { parseConnectionUrl, SSL_MODES, type ConnectionSettings, type SslMode } from './db/session.js';

export type Environment = Readonly<Record<string, string | undefined>>;


export interface DatabaseChoice {
  readonly target: DatabaseTarget;
  /** Which rule picked it, for the log. */
  readonly source: '--database' | 'DATABASE_URL' | 'PGHOST' | 'embedded';
}

/** Connection options given on the command line rather than in the environment. */
export interface ConnectionFlags {
  readonly passwordCommand?: string | undefined;
  readonly connectTimeoutSeconds?: number | undefined;
}

export function resolveDatabase(flag: string | undefined, env: Environment, cwd: string, flags: ConnectionFlags = {}): DatabaseChoice {
  const applicationName = nonEmpty(env['PGAPPNAME']) ?? 'pgshift';
  const common = commonSettings(env, flags, applicationName);
  const url = nonEmpty(flag) ?? nonEmpty(env['DATABASE_URL']);
  if (url !== undefined) {
    const source = nonEmpty(flag) === undefined ? 'DATABASE_URL' : '--database';
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new PgshiftError('USAGE', `${source} must be a postgres:// or postgresql:// URL`, {
        hint: 'for example postgres://app:secret@localhost:5432/app',
      });
    }
    // As libpq does, PGPASSWORD serves a URL that has no password of its own.
    const password = parseConnectionUrl(url).password === '' ? nonEmpty(env['PGPASSWORD']) : undefined;
    return { target: { url, ...common, ...(password === undefined ? {} : { password }) }, source };
  }
  const host = nonEmpty(env['PGHOST']);
  if (host !== undefined) {
    return { target: { ...libpqSettings(host, env), ...common }, source: 'PGHOST' };
  }
  const refusedBy = truthy(env['CI']) ? 'CI is set' : env['NODE_ENV'] === 'production' ? 'NODE_ENV=production' : undefined;
  if (refusedBy) {
    throw new PgshiftError('EMBEDDED_REFUSED', `no database configured, and the embedded database is refused because ${refusedBy}`, {
      hint: 'set DATABASE_URL (or --database, or PGHOST and friends): a deploy must not migrate a local throwaway database by mistake',
    });
  }
  return { target: { embedded: { dir: join(cwd, '.pgshift') } }, source: 'embedded' };
}

/** What applies to a URL and to PGHOST alike; a URL's own sslmode and sslrootcert win over these. */
function commonSettings(env: Environment, flags: ConnectionFlags, applicationName: string): ConnectionSettings {
  const sslmode = nonEmpty(env['PGSSLMODE']);
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode as SslMode)) {
    throw new PgshiftError('CONFIG_INVALID', `PGSSLMODE=${sslmode} is not one of ${SSL_MODES.join(', ')}`);
  }
  const timeout = flags.connectTimeoutSeconds ?? (nonEmpty(env['PGCONNECT_TIMEOUT']) === undefined ? undefined : Number(env['PGCONNECT_TIMEOUT']));
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    throw new PgshiftError('CONFIG_INVALID', `connect timeout ${String(timeout)} is not a positive number of seconds`);
  }
  const passwordCommand = nonEmpty(flags.passwordCommand) ?? nonEmpty(env['PGSHIFT_PASSWORD_COMMAND']);
  const rootCert = nonEmpty(env['PGSSLROOTCERT']);
  return {
    applicationName,
    ...(sslmode === undefined ? {} : { sslmode: sslmode as SslMode }),
    ...(rootCert === undefined ? {} : { sslrootcert: rootCert }),
    ...(passwordCommand === undefined ? {} : { passwordCommand }),
    ...(timeout === undefined ? {} : { connectTimeoutSeconds: timeout }),
  };
}

function libpqSettings(host: string, env: Environment): ConnectionSettings {
  const port = nonEmpty(env['PGPORT']);
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw new PgshiftError('CONFIG_INVALID', `PGPORT=${port} is not a port number`);
  }
  const optional = <K extends keyof ConnectionSettings>(key: K, value: ConnectionSettings[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    host,
    ...optional('port', port === undefined ? undefined : Number(port)),
    ...optional('user', nonEmpty(env['PGUSER'])),
    ...optional('password', env['PGPASSWORD']),
    ...optional('database', nonEmpty(env['PGDATABASE'])),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.toLowerCase());
}
