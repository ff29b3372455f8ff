/**
 * The only module that imports postgres.js. A Session is one pinned server connection: the advisory lock
 * is a session lock, so every statement of a run must go through the same backend, and a connection that
 * drops must fail the run rather than be silently replaced by a new one without the lock.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { DEFAULTS } from '../config/defaults.js';
import { isPgshiftError, PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { passwordFromCommand, passwordFromFile, tlsOption, type CommandLimits } from './credentials.js';
import { describeEndpoint, isSocket, parseConnectionUrl, resolveEndpoint, type Endpoint, type SslMode } from './endpoint.js';

/**
 * Where to connect. A URL wins over the separate fields, which fill in what it leaves out; what neither
 * gives takes libpq's default (never the driver's own reading of process.env).
 */
export interface ConnectionSettings {
  readonly url?: string;
  readonly host?: string;
  /** libpq's hostaddr: the address to connect to, while `host` stays the name TLS and .pgpass use. */
  readonly hostaddr?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly sslmode?: SslMode;
  /** The CA certificate (PEM file) that verify-ca and verify-full check the server's certificate against. */
  readonly sslrootcert?: string;
  /** Run for every new connection; its trimmed stdout is the password, which beats any other. */
  readonly passwordCommand?: string;
  readonly applicationName?: string;
  readonly connectTimeoutSeconds?: number;
  /** Where these settings came from (`--database`, `DATABASE_URL from .env`...), named with the target. */
  readonly origin?: string;
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
  /** Whether the connection is encrypted (pg_stat_ssl). */
  readonly tls: boolean;
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
const DEFAULT_CONNECT_TIMEOUT_SECONDS = DEFAULTS.connectTimeoutSeconds;

/** Node's and postgres.js's codes for a connection that failed, in words; the code follows in parentheses. */
const CODE_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed for now',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed while writing',
  CONNECTION_CLOSED: 'the server closed the connection',
  CONNECTION_DESTROYED: 'the connection was destroyed',
  CONNECTION_ENDED: 'the connection was ended',
  CONNECT_TIMEOUT: 'timed out',
};

/** A connection error in words with its code in parentheses, e.g. "connection refused (ECONNREFUSED)". */
function inWords(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const limit = (error as { limitSeconds?: number }).limitSeconds;
  const words = limit === undefined ? CODE_WORDS[code] : `timed out after ${limit} s`;
  return words === undefined ? (error as Error).message || code : `${words} (${code})`;
}

/** A pending connect raced against pgshift's own limit and the interrupt signal. */
function withinLimit<T>(pending: Promise<T>, limitSeconds: number, signal: AbortSignal | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${limitSeconds} s`), { code: 'CONNECT_TIMEOUT', limitSeconds })), limitSeconds * 1000);
    onAbort = () => reject(Object.assign(new Error('interrupted'), { code: 'ABORT_ERR' }));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([pending, stop]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

/** SQLSTATEs that end the session itself: connection exceptions and administrator or crash shutdowns. */
const SESSION_ENDED_STATES = /^(08|57P0)/;

export async function openSession(settings: ConnectionSettings, logger: Logger, open: OpenOptions = {}): Promise<Session> {
  const deadline = Date.now() + (open.waitSeconds ?? 0) * 1000;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(settings, logger, open.parameters ?? {}, open.signal);
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

async function connect(
  settings: ConnectionSettings,
  logger: Logger,
  parameters: Readonly<Record<string, string>>,
  signal: AbortSignal | undefined,
): Promise<Session> {
  let lost = false;
  let closing = false;
  let rollingBack = false;
  const endpoint = resolveEndpoint(settings);
  const limitSeconds = endpoint.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS;
  const password = await passwordOf(settings, endpoint, { limitSeconds, signal });
  const socket = isSocket(endpoint.host);
  const sslmode = socket ? undefined : endpoint.sslmode;
  const sql = postgres({
    max: 1,
    max_lifetime: null,
    idle_timeout: 0,
    fetch_types: false,
    prepare: false,
    // Every field the driver would otherwise take from process.env is given, so none leaks in.
    // As one-element lists: postgres.js splits a host string on ':' (for host:port lists), which would
    // turn an IPv6 address such as ::2 into an empty host, that is localhost.
    host: [endpoint.host] as unknown as string,
    ...(socket ? { path: `${endpoint.host}/.s.PGSQL.${endpoint.port}` } : {}),
    port: [endpoint.port] as unknown as number,
    user: endpoint.user,
    database: endpoint.database,
    password: () => password ?? '',
    ssl: sslmode === undefined ? false : (tlsOption(sslmode, endpoint.sslrootcert, endpoint.hostName) as boolean | object),
    connect_timeout: limitSeconds,
    keep_alive: 60,
    connection: { application_name: settings.applicationName ?? 'pgshift', ...endpoint.parameters, ...parameters },
    onnotice: (notice) => {
      if (!(rollingBack && notice['code'] === '25P01')) logNotice(logger, notice);
    },
    onclose: () => {
      if (!closing) lost = true;
    },
  });

  let reserved: postgres.ReservedSql;
  let info: SessionInfo;
  try {
    // Open the connection with a first query before reserving it: postgres.js 3.4 never resolves reserve()
    // on a not-yet-open connection when fetch_types is off. With max 1 the reserved one is this same backend.
    // The limit is pgshift's own, around the whole connect: postgres.js reconnects by itself after a
    // refused or timed-out attempt and would retry for ever.
    const [row] = await withinLimit(
      sql.unsafe<Array<Record<string, unknown>>>(
        `SELECT pg_backend_pid() AS pid, current_schema() AS schema, current_user AS "user",
                current_database() AS database, current_setting('server_version') AS version,
                coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS tls`,
      ),
      limitSeconds,
      signal,
    );
    reserved = await withinLimit(sql.reserve(), limitSeconds, signal);
    info = {
      pid: Number(row?.['pid']),
      currentSchema: (row?.['schema'] as string | null) ?? null,
      user: String(row?.['user']),
      database: String(row?.['database']),
      serverVersion: String(row?.['version']),
      tls: row?.['tls'] === true,
    };
  } catch (error) {
    closing = true;
    await sql.end({ timeout: 0 }).catch(() => undefined);
    if (isPgshiftError(error)) throw error;
    if ((error as { code?: string }).code === 'ABORT_ERR') {
      throw new PgshiftError('INTERRUPTED', `interrupted while connecting to ${describeEndpoint(endpoint)}`, { hint: 'nothing was run on the database' });
    }
    throw connectionFailure(error, endpoint);
  }

  let running: { cancel(): void } | undefined;
  const translate = (error: unknown): Error => {
    if (error instanceof postgres.PostgresError && !SESSION_ENDED_STATES.test(error.code)) {
      return toServerError(error);
    }
    if (error instanceof postgres.PostgresError || lost || CONNECTION_CODES.has((error as { code?: string }).code ?? '')) {
      lost = true;
      return new PgshiftError('CONNECTION_LOST', `the connection to the database was lost: ${inWords(error)}`, {
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
      // On a closed connection the driver would write to a socket that is gone; the server rolled back already.
      if (lost) return;
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
      // A lost connection has nothing to finish: waiting for it would only delay the error by the timeout.
      await sql.end({ timeout: lost ? 0 : 5 });
    },
  };
}

/**
 * A password command wins: it was asked for explicitly, and a token in the environment or the URL may be
 * stale. It runs now, once for this connection (a token is short-lived, so it is fetched right before use).
 * Then a password given in the URL or PGPASSWORD, then libpq's password file.
 */
async function passwordOf(settings: ConnectionSettings, endpoint: Endpoint, limits: CommandLimits): Promise<string | undefined> {
  if (settings.passwordCommand !== undefined) return passwordFromCommand(settings.passwordCommand, limits);
  if (endpoint.password !== undefined) return endpoint.password;
  const { hostName: host, port, user, database } = endpoint;
  return passwordFromFile({ host, port, user, database });
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

function connectionFailure(error: unknown, endpoint: Endpoint): PgshiftError {
  const target = describeEndpoint(endpoint);
  const { sslmode } = endpoint;
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
  return new PgshiftError('CONNECTION_FAILED', `could not connect to ${target}: ${inWords(error)}`, {
    hint: 'is the server running and reachable? Check --database, DATABASE_URL or PGHOST/PGPORT; --wait SECONDS waits for a server that is starting',
    cause: error,
  });
}

/** user@host:port/database: everything about the target except its secret. */
export function describeTarget(settings: ConnectionSettings): string {
  return describeEndpoint(resolveEndpoint(settings));
}

/** The one line a command logs when it has connected: which database, how it is secured, and who chose it. */
export function connectedTarget(settings: ConnectionSettings, info: SessionInfo): { message: string; fields: { target: string; sslmode: string | null; tls: boolean; source: string } } {
  const endpoint = resolveEndpoint(settings);
  const target = describeEndpoint(endpoint);
  const sslmode = endpoint.sslmode ?? null;
  const configured = isSocket(endpoint.host) ? 'a Unix socket' : sslmode === null ? 'sslmode not set' : `sslmode=${sslmode}`;
  const source = settings.origin ?? 'the program';
  return {
    message: `connected to ${target} (${configured}, ${info.tls ? 'TLS negotiated' : 'no TLS'}), chosen by ${source}`,
    fields: { target, sslmode, tls: info.tls, source },
  };
}

function logNotice(logger: Logger, notice: postgres.Notice): void {
  const severity = String(notice['severity'] ?? 'NOTICE');
  const fields = { severity, sqlState: notice['code'] };
  const message = `server: ${String(notice['message'] ?? '')}`;
  if (severity === 'WARNING') logger.warn(message, fields);
  else if (severity === 'DEBUG' || severity === 'LOG') logger.debug(message, fields);
  else logger.info(message, fields);
}

/** The same server and credentials, another database (for verify's scratch database). */
export function withDatabase(settings: ConnectionSettings, database: string): ConnectionSettings {
  if (settings.url === undefined) return { ...settings, database };
  const url = parseConnectionUrl(settings.url);
  url.pathname = `/${encodeURIComponent(database)}`;
  url.searchParams.delete('dbname');
  return { ...settings, url: url.toString() };
}
