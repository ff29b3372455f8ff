/**
 * The only module that imports postgres.js. A Session is one pinned server connection: the advisory lock
 * is a session lock, so every statement of a run must go through the same backend, and a connection that
 * drops must fail the run rather than be silently replaced by a new one without the lock.
 */
import postgres from 'postgres';
import { PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

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
  readonly applicationName?: string;
  readonly connectTimeoutSeconds?: number;
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

export async function openSession(settings: ConnectionSettings, logger: Logger): Promise<Session> {
  let lost = false;
  let closing = false;
  const options: postgres.Options<Record<string, postgres.PostgresType>> = {
    max: 1,
    max_lifetime: null,
    fetch_types: false,
    prepare: false,
    connection: { application_name: settings.applicationName ?? 'pgshift' },
    onnotice: (notice) => logNotice(logger, notice),
    onclose: () => {
      if (!closing) lost = true;
    },
    ...(settings.host === undefined ? {} : { host: settings.host }),
    ...(settings.port === undefined ? {} : { port: settings.port }),
    ...(settings.user === undefined ? {} : { user: settings.user }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(settings.database === undefined ? {} : { database: settings.database }),
    ...(settings.sslmode === undefined ? {} : { ssl: sslOption(settings.sslmode) }),
    ...(settings.connectTimeoutSeconds === undefined ? {} : { connect_timeout: settings.connectTimeoutSeconds }),
  };
  const sql = settings.url === undefined ? postgres(options) : postgres(settings.url, options);

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
    throw connectionFailure(error, settings);
  }

  let running: { cancel(): void } | undefined;
  const translate = (error: unknown): Error => {
    if (error instanceof postgres.PostgresError && !SESSION_ENDED_STATES.test(error.code)) {
      return toServerError(error);
    }
    if (error instanceof postgres.PostgresError || lost || CONNECTION_CODES.has((error as { code?: string }).code ?? '')) {
      lost = true;
      return new PgshiftError('CONNECTION_LOST', `the connection to the database was lost: ${(error as Error).message}`, {
        hint: 'nothing is half-applied: the transaction that was running was rolled back by the server; run the command again',
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

function sslOption(mode: SslMode): boolean | object | 'allow' | 'prefer' | 'require' | 'verify-full' {
  switch (mode) {
    case 'disable':
      return false;
    case 'verify-ca':
      // libpq's verify-ca checks the chain but not the host name.
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    default:
      return mode;
  }
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

function connectionFailure(error: unknown, settings: ConnectionSettings): PgshiftError {
  const target = describeTarget(settings);
  if (error instanceof postgres.PostgresError) {
    const hint =
      error.code === '28P01' || error.code === '28000'
        ? 'check the user and password (a token used as a password may have expired)'
        : error.code === '3D000'
          ? 'create the database first, or point --database at one that exists'
          : 'check that the server accepts connections from this host';
    return new PgshiftError('CONNECTION_FAILED', `could not connect to ${target}: ${error.message}`, { hint, cause: error });
  }
  const code = (error as { code?: string }).code;
  return new PgshiftError('CONNECTION_FAILED', `could not connect to ${target}: ${code ?? (error as Error).message}`, {
    hint: 'is the server running and reachable? Check --database, DATABASE_URL or PGHOST/PGPORT',
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
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
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

/** The same server and credentials, another database (for verify's scratch database). */
export function withDatabase(settings: ConnectionSettings, database: string): ConnectionSettings {
  if (settings.url === undefined) return { ...settings, database };
  const url = new URL(settings.url);
  url.pathname = `/${encodeURIComponent(database)}`;
  return { ...settings, url: url.toString() };
}
