/**
 * Where the CLI's database comes from, in SPEC order: --database, DATABASE_URL, the libpq PG* variables,
 * then the embedded server. The only module that reads the environment.
 */
import { join } from 'node:path';
import { PgshiftError } from './core/errors.js';
import type { DatabaseTarget } from './migrator.js';
import type { ConnectionSettings, SslMode } from './db/session.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface DatabaseChoice {
  readonly target: DatabaseTarget;
  /** Which rule picked it, for the log. */
  readonly source: '--database' | 'DATABASE_URL' | 'PGHOST' | 'embedded';
}

export function resolveDatabase(flag: string | undefined, env: Environment, cwd: string): DatabaseChoice {
  const applicationName = nonEmpty(env['PGAPPNAME']) ?? 'pgshift';
  const url = nonEmpty(flag) ?? nonEmpty(env['DATABASE_URL']);
  if (url !== undefined) {
    const source = nonEmpty(flag) === undefined ? 'DATABASE_URL' : '--database';
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new PgshiftError('USAGE', `${source} must be a postgres:// or postgresql:// URL`, {
        hint: 'for example postgres://app:secret@localhost:5432/app',
      });
    }
    return { target: { url, applicationName }, source };
  }
  const host = nonEmpty(env['PGHOST']);
  if (host !== undefined) {
    return { target: libpqSettings(host, env, applicationName), source: 'PGHOST' };
  }
  const refusedBy = truthy(env['CI']) ? 'CI is set' : env['NODE_ENV'] === 'production' ? 'NODE_ENV=production' : undefined;
  if (refusedBy) {
    throw new PgshiftError('EMBEDDED_REFUSED', `no database configured, and the embedded database is refused because ${refusedBy}`, {
      hint: 'set DATABASE_URL (or --database, or PGHOST and friends): a deploy must not migrate a local throwaway database by mistake',
    });
  }
  return { target: { embedded: { dir: join(cwd, '.pgshift') } }, source: 'embedded' };
}

function libpqSettings(host: string, env: Environment, applicationName: string): ConnectionSettings {
  const port = nonEmpty(env['PGPORT']);
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw new PgshiftError('CONFIG_INVALID', `PGPORT=${port} is not a port number`);
  }
  const sslmode = nonEmpty(env['PGSSLMODE']);
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode as SslMode)) {
    throw new PgshiftError('CONFIG_INVALID', `PGSSLMODE=${sslmode} is not one of ${SSL_MODES.join(', ')}`);
  }
  const optional = <K extends keyof ConnectionSettings>(key: K, value: ConnectionSettings[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    host,
    applicationName,
    ...optional('port', port === undefined ? undefined : Number(port)),
    ...optional('user', nonEmpty(env['PGUSER'])),
    ...optional('password', env['PGPASSWORD']),
    ...optional('database', nonEmpty(env['PGDATABASE'])),
    ...optional('sslmode', sslmode as SslMode | undefined),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.toLowerCase());
}
