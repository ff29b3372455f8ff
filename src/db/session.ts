/**
 * The only module that imports postgres.js. A Session is one pinned server connection: the advisory lock
 * is a session lock, so every statement of a run must go through the same backend, and a connection that
 * drops must fail the run rather than be silently replaced by a new one without the lock.
 */
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { isPgshiftError, PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { passwordFromCommand, passwordFromFile, tlsOption, type PasswordLookup } from './credentials.js';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** Where to connect. A URL wins over the separate fields, which fill in what it leaves out. */
export interface ConnectionSettings {
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly sslmode?: SslMode;
  /** The CA certificate (PEM file) that verify-ca and verify-full check the server's certificate against. */
  readonly sslrootcert?: string;
  /** Run for every new connection when no password is given; its trimmed stdout is the password. */
  readonly passwordCommand?: string;
  readonly applicationName?: string;
  readonly connectTimeoutSeconds?: number;
}

export interface OpenOptions {
  /** Session settings sent when connecting (custom `pgshift.*` settings cost no round trip this way). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Keep trying to connect for this long while the server is not up yet (refused, starting up, no DNS yet). */
  readonly waitSeconds?: number;
  readonly signal?: AbortSignal | undefined;
}

/** What the server reported about a failed statement, as plain data. */
export interface ServerErrorFields {
  readonly sqlState: string;
  readonly detail?: string;
  readonly hint?: string;
  /** 1-based character position in the query text, when the server knows it. */
  readonly position?: number;
  readonly where?: string;
  readonly tableName?: string;
  readonly constraintName?: string;
}

export class ServerError extends Error {
  constructor(
    message: string,
    readonly fields: ServerErrorFields,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

export interface SessionInfo {
  readonly pid: number;
  /** The schema unqualified names are created in (null when search_path names no existing schema). */
  readonly currentSchema: string | null;
  readonly user: string;
  readonly database: string;
  readonly serverVersion: string;
}

export interface Column {
  readonly name: string;
  /** The type's OID. */
  readonly type: number;
}

export interface QueryResult<T> {
  readonly rows: readonly T[];
  readonly columns: readonly Column[];
}

export interface Session {
  readonly info: SessionInfo;
  /** One simple-protocol message: any number of statements, one round trip. Rows go to `onRow` as they arrive. */
  execute(text: string, onRow?: (row: Readonly<Record<string, unknown>>) => void): Promise<void>;
  /** One statement whose rows are wanted. */
  query<T extends object>(text: string): Promise<QueryResult<T>>;
  /**
   * Ends a transaction a failed script may have left open. A script rejected whole (a syntax error) never
   * opened one; the server's "no transaction in progress" warning then says nothing worth logging.
   */
  rollback(): Promise<void>;
  /** Asks the server to cancel the statement now running, if any. */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

/** Error codes postgres.js and Node give when the connection, not the SQL, failed. */
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);
/** SQLSTATEs that end the session itself: connection exceptions and administrator or crash shutdowns. */
const SESSION_ENDED_STATES = /^(08|57P0)/;

export async function openSession(settings: ConnectionSettings, logger: Logger, open: OpenOptions = {}): Promise<Session> {
  const deadline = Date.now() + (open.waitSeconds ?? 0) * 1000;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(settings, logger, open.parameters ?? {});
    } catch (error) {
      const remaining = deadline - Date.now();
      if (!isPgshiftError(error) || error.code !== 'CONNECTION_FAILED' || !retryable(error.cause) || open.signal?.aborted) throw error;
      if (remaining <= 0) {
        if (attempt === 1) throw error;
        throw new PgshiftError(error.code, `${error.message} (gave up after ${attempt} attempts in ${open.waitSeconds} s of --wait)`, {
          ...(error.hint === undefined ? {} : { hint: error.hint }),
          cause: error.cause,
        });
      }
      logger.info(`${error.message}; retrying in ${Math.min(delay, remaining)} ms (--wait, attempt ${attempt})`);
      await sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 2, 2000);
    }
  }
}

/** Worth waiting for: the server is not reachable or not ready yet. Wrong credentials or names are not. */
function retryable(cause: unknown): boolean {
  if (cause instanceof postgres.PostgresError) return ['57P03', '53300', '08006', '08001'].includes(cause.code);
  return CONNECTION_CODES.has((cause as { code?: string } | undefined)?.code ?? '');
}

async function connect(settings: ConnectionSettings, logger: Logger, parameters: Readonly<Record<string, string>>): Promise<Session> {
  let lost = false;
  let closing = false;
  let rollingBack = false;
  const url = settings.url === undefined ? undefined : splitUrl(settings.url);
  const sslmode = url?.sslmode ?? settings.sslmode;
  const sslrootcert = url?.sslrootcert ?? settings.sslrootcert;
  const options: postgres.Options<Record<string, postgres.PostgresType>> = {
    max: 1,
    max_lifetime: null,
    fetch_types: false,
    prepare: false,
    connection: { application_name: settings.applicationName ?? 'pgshift', ...parameters },
    onnotice: (notice) => {
      if (!(rollingBack && notice['code'] === '25P01')) logNotice(logger, notice);
    },
    onclose: () => {
      if (!closing) lost = true;
    },
    ...(settings.host === undefined ? {} : { host: settings.host }),
    ...(settings.port === undefined ? {} : { port: settings.port }),
    ...(settings.user === undefined ? {} : { user: settings.user }),
    ...(settings.database === undefined ? {} : { database: settings.database }),
    ...(sslmode === undefined ? {} : { ssl: tlsOption(sslmode, sslrootcert, url?.lookup.host ?? settings.host ?? 'localhost') as boolean | object }),
    ...(settings.connectTimeoutSeconds === undefined ? {} : { connect_timeout: settings.connectTimeoutSeconds }),
    ...(await passwordOption(settings, url)),
  };
  const sql = url === undefined ? postgres(options) : postgres(url.href, options);

  let reserved: postgres.ReservedSql;
  let info: SessionInfo;
  try {
    // Open the connection with a first query before reserving it: postgres.js 3.4 never resolves reserve()
    // on a not-yet-open connection when fetch_types is off. With max 1 the reserved one is this same backend.
    const [row] = await sql.unsafe<Array<Record<string, unknown>>>(
      `SELECT pg_backend_pid() AS pid, current_schema() AS schema, current_user AS "user",
              current_database() AS database, current_setting('server_version') AS version`,
    );
    reserved = await sql.reserve();
    info = {
      pid: Number(row?.['pid']),
      currentSchema: (row?.['schema'] as string | null) ?? null,
      user: String(row?.['user']),
      database: String(row?.['database']),
      serverVersion: String(row?.['version']),
    };
  } catch (error) {
    closing = true;
    await sql.end({ timeout: 0 }).catch(() => undefined);
    if (isPgshiftError(error)) throw error;
    throw connectionFailure(error, settings, sslmode);
  }

  let running: { cancel(): void } | undefined;
  const translate = (error: unknown): Error => {
    if (error instanceof postgres.PostgresError && !SESSION_ENDED_STATES.test(error.code)) {
      return toServerError(error);
    }
    if (error instanceof postgres.PostgresError || lost || CONNECTION_CODES.has((error as { code?: string }).code ?? '')) {
      lost = true;
      return new PgshiftError('CONNECTION_LOST', `the connection to the database was lost: ${(error as Error).message}`, {
        hint: 'the transaction that was running was rolled back by the server (a no-transaction file keeps the statements it finished: status shows them); run the command again',
        cause: error,
      });
    }
    return error as Error;
  };
  const guard = (): void => {
    if (lost) {
      throw new PgshiftError('CONNECTION_LOST', 'the connection to the database was lost', {
        hint: 'the server closed it (restart, failover, or pg_terminate_backend); run the command again',
      });
    }
  };

  return {
    info,
    async execute(text, onRow) {
      guard();
      const pending = reserved.unsafe(text);
      running = pending;
      try {
        await (onRow ? pending.forEach((row) => onRow(row)) : pending);
      } catch (error) {
        throw translate(error);
      } finally {
        running = undefined;
      }
    },
    async query<T extends object>(text: string) {
      guard();
      try {
        const result = await reserved.unsafe(text);
        return {
          rows: result as unknown as T[],
          columns: (result.columns ?? []).map((column) => ({ name: column.name, type: column.type })),
        };
      } catch (error) {
        throw translate(error);
      }
    },
    async rollback() {
      rollingBack = true;
      try {
        await reserved.unsafe('ROLLBACK');
      } catch {
        // The session is gone or broken: the server rolls back what was open when it ends.
      } finally {
        rollingBack = false;
      }
    },
    async cancel() {
      await running?.cancel();
    },
    async close() {
      closing = true;
      reserved.release();
      await sql.end({ timeout: 5 });
    },
  };
}

interface SplitUrl {
  /** The URL without sslmode and sslrootcert, which pgshift applies itself (the server would refuse them as parameters). */
  readonly href: string;
  readonly sslmode?: SslMode;
  readonly sslrootcert?: string;
  readonly lookup: PasswordLookup;
  readonly hasPassword: boolean;
}

function splitUrl(href: string): SplitUrl {
  const url = parseConnectionUrl(href);
  const sslmode = url.searchParams.get('sslmode') ?? undefined;
  const sslrootcert = url.searchParams.get('sslrootcert') ?? undefined;
  url.searchParams.delete('sslmode');
  url.searchParams.delete('sslrootcert');
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode as SslMode)) {
    throw new PgshiftError('CONFIG_INVALID', `sslmode=${sslmode} in the database URL is not one of ${SSL_MODES.join(', ')}`);
  }
  const user = decodeURIComponent(url.username) || userInfo().username;
  return {
    href: url.toString(),
    ...(sslmode === undefined ? {} : { sslmode: sslmode as SslMode }),
    ...(sslrootcert === undefined ? {} : { sslrootcert }),
    lookup: { host: url.hostname || 'localhost', port: Number(url.port || 5432), user, database: decodeURIComponent(url.pathname.slice(1)) || user },
    hasPassword: url.password !== '',
  };
}

export const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/**
 * A given password wins; else the password command, run now, once for this connection (a token is
 * short-lived, so it is fetched right before use); else libpq's password file.
 */
async function passwordOption(settings: ConnectionSettings, url: SplitUrl | undefined): Promise<{ password?: string }> {
  if (settings.password !== undefined) return { password: settings.password };
  if (url?.hasPassword) return {};
  if (settings.passwordCommand !== undefined) return { password: await passwordFromCommand(settings.passwordCommand) };
  const user = settings.user ?? userInfo().username;
  const lookup = url?.lookup ?? { host: settings.host ?? 'localhost', port: settings.port ?? 5432, user, database: settings.database ?? user };
  const password = await passwordFromFile(lookup);
  return password === undefined ? {} : { password };
}

function toServerError(error: postgres.PostgresError): ServerError {
  const optional = <K extends string>(key: K, value: string | undefined) =>
    value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, string>);
  const position = Number(error.position);
  return new ServerError(error.message, {
    sqlState: error.code,
    ...optional('detail', error.detail),
    ...optional('hint', error.hint),
    ...(Number.isInteger(position) && position > 0 ? { position } : {}),
    ...optional('where', error.where),
    ...optional('tableName', error.table_name),
    ...optional('constraintName', error.constraint_name),
  });
}

/** Node's codes for a server certificate that does not verify. */
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/;

function connectionFailure(error: unknown, settings: ConnectionSettings, sslmode: SslMode | undefined): PgshiftError {
  const target = describeTarget(settings);
  if (error instanceof postgres.PostgresError) {
    const hint = /no encryption/.test(error.message)
      ? 'the server accepts this user only over TLS: set sslmode=require in the URL, or PGSSLMODE=require'
      : error.code === '28P01' || error.code === '28000'
        ? 'check the user and password (a token used as a password may have expired: get a new one)'
        : error.code === '3D000'
          ? 'create the database first, or point --database at one that exists'
          : 'check that the server accepts connections from this host';
    return new PgshiftError('CONNECTION_FAILED', `could not connect to ${target}: ${error.message}`, { hint, cause: error });
  }
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (CERTIFICATE_CODES.test(code)) {
    return new PgshiftError('CONNECTION_FAILED', `could not connect to ${target}: the server's TLS certificate does not verify (${code}: ${message})`, {
      hint:
        sslmode === 'verify-full' && /ALTNAME|Hostname/i.test(`${code} ${message}`)
          ? 'the certificate is not for this host name: connect by the name it was issued for, or use sslmode=verify-ca'
          : 'give the CA certificate that signed it with sslrootcert=/path/root.crt in the URL or PGSSLROOTCERT, or use sslmode=require to encrypt without verifying',
      cause: error,
    });
  }
  if (code === 'ECONNRESET' && (sslmode === 'require' || sslmode === 'verify-ca' || sslmode === 'verify-full')) {
    return new PgshiftError('CONNECTION_FAILED', `could not connect to ${target}: the server closed the connection when asked for TLS (sslmode=${sslmode})`, {
      hint: 'the server may not accept TLS: check its ssl setting, or use sslmode=prefer (or disable) if encryption is not required',
      cause: error,
    });
  }
  return new PgshiftError('CONNECTION_FAILED', `could not connect to ${target}: ${code || message}`, {
    hint: 'is the server running and reachable? Check --database, DATABASE_URL or PGHOST/PGPORT; --wait SECONDS waits for a server that is starting',
    cause: error,
  });
}

/** Host, port, database and user: everything about the target except its secret. */
export function describeTarget(settings: ConnectionSettings): string {
  if (settings.url !== undefined) return redactUrl(settings.url);
  const user = settings.user === undefined ? '' : `${settings.user}@`;
  return `postgres://${user}${settings.host ?? 'localhost'}:${settings.port ?? 5432}/${settings.database ?? ''}`;
}

/** A connection URL with its password replaced, safe to print or log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|token|secret/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    // Up to the last @: an unencoded @ in the password must not leave part of it behind.
    return url.replace(/\/\/([^:/@]*):.*@/, '//$1:***@');
  }
}

function logNotice(logger: Logger, notice: postgres.Notice): void {
  const severity = String(notice['severity'] ?? 'NOTICE');
  const fields = { severity, sqlState: notice['code'] };
  const message = `server: ${String(notice['message'] ?? '')}`;
  if (severity === 'WARNING') logger.warn(message, fields);
  else if (severity === 'DEBUG' || severity === 'LOG') logger.debug(message, fields);
  else logger.info(message, fields);
}

/**
 * The one place a connection URL is parsed. Node's own error for a malformed URL carries the whole input,
 * password included, so it never escapes: the error says what is wrong with the password hidden.
 */
export function parseConnectionUrl(href: string): URL {
  try {
    return new URL(href);
  } catch {
    throw new PgshiftError('CONFIG_INVALID', `the database URL is malformed: ${redactUrl(href)}`, {
      hint: 'write it as postgres://user:password@host:5432/database (an IPv6 host in brackets: [::1]; percent-encode @ : / in the password)',
    });
  }
}

/** The same server and credentials, another database (for verify's scratch database). */
export function withDatabase(settings: ConnectionSettings, database: string): ConnectionSettings {
  if (settings.url === undefined) return { ...settings, database };
  const url = parseConnectionUrl(settings.url);
  url.pathname = `/${encodeURIComponent(database)}`;
  return { ...settings, url: url.toString() };
}
