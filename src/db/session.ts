/**
 * A Session is one pinned server connection, over postgres.js: the advisory lock is a session lock, so
 * every statement of a run must go through the same backend, and a connection that drops must fail the run
 * rather than be silently replaced by a new one without the lock. How to reach the server (password, time
 * limits, retries) is connect.ts's; what the driver's errors mean is server-error.ts's.
 */
import { connect } from 'node:net';
import postgres from 'postgres';
import { defined } from '../core/defined.js';
import { PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { quoteIdentifier, quoteLiteral } from '../core/sql-quote.js';
import { tlsOption } from './credentials.js';
import { isSocket, type Endpoint } from './endpoint.js';
import { statementFailure } from './server-error.js';

export interface SessionInfo {
  readonly pid: number;
  /** The schema unqualified names are created in (null when search_path names no existing schema). */
  readonly currentSchema: string | null;
  /** Where search_path finds the table the session was opened to find (`findTable`); null where it finds none. */
  readonly foundTableSchema: string | null;
  readonly user: string;
  readonly database: string;
  /**
   * The server's start time and the database's oid: the same for every way of reaching one database (a
   * host name, an address, a pooler), so a many-database run can tell two targets that are one database.
   */
  readonly databaseIdentity: string;
  readonly serverVersion: string;
  /** Whether the connection is encrypted (pg_stat_ssl). */
  readonly tls: boolean;
  /** track_counts: the server counts each transaction's row changes per table (on unless turned off). */
  readonly trackCounts: boolean;
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

/** Everything a session needs to start, already resolved: no field is left for the driver to read from process.env. */
export interface SessionStart {
  readonly endpoint: Endpoint;
  /** Called when the server asks for a password. */
  readonly password: () => Promise<string | undefined>;
  readonly limitSeconds: number;
  /** Session settings sent when connecting (custom `pgshift.*` settings cost no round trip this way). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly findTable?: string | undefined;
  /** Bounds each step of opening the connection by pgshift's own time limit and the interrupt. */
  readonly within: <T>(pending: Promise<T>) => Promise<T>;
}

/** What the driver's callbacks and the session's methods both read and set. */
interface ConnectionState {
  lost: boolean;
  /** How it was lost, said by every statement refused after it. */
  lostBy?: string;
  closing: boolean;
  rollingBack: boolean;
}

/** Opens and pins the connection. A failure is the driver's own error, closed behind, for the caller to explain. */
export async function startSession(start: SessionStart): Promise<Session> {
  const state: ConnectionState = { lost: false, closing: false, rollingBack: false };
  const sql = postgres(driverOptions(start, state));
  let pinned: { reserved: postgres.ReservedSql; info: SessionInfo };
  try {
    pinned = await pin(sql, start);
  } catch (error) {
    state.closing = true;
    await sql.end({ timeout: 0 }).catch(() => undefined);
    throw error;
  }
  return wrap(sql, pinned.reserved, pinned.info, state);
}

function driverOptions({ endpoint, password, limitSeconds, parameters, logger }: SessionStart, state: ConnectionState): postgres.Options<Record<string, never>> {
  const socket = isSocket(endpoint.host);
  const sslmode = socket ? undefined : endpoint.sslmode;
  return {
    max: 1,
    max_lifetime: null,
    idle_timeout: 0,
    fetch_types: false,
    prepare: false,
    // Every field the driver would otherwise take from process.env is given, so none leaks in.
    // As one-element lists: postgres.js splits a host string on ':' (for host:port lists), which would
    // turn an IPv6 address such as ::2 into an empty host, that is localhost.
    host: [endpoint.host] as unknown as string,
    ...defined({ path: socket ? `${endpoint.host}/.s.PGSQL.${endpoint.port}` : undefined }),
    port: [endpoint.port] as unknown as number,
    // TCP_NODELAY, as libpq sets it. Node leaves Nagle's algorithm on, which holds back a message written
    // while the one before it is unacknowledged: a migration sent behind the running one (send.ts) would
    // wait for it. The driver writes its first messages as soon as this returns; the socket sends them once
    // connected, and its errors reach the driver's own handlers.
    ...(socket ? {} : { socket: () => connect({ host: endpoint.host, port: endpoint.port, noDelay: true }) }),
    user: endpoint.user,
    database: endpoint.database,
    password: async () => (await password()) ?? '',
    ssl: sslmode === undefined ? false : (tlsOption(sslmode, endpoint.sslrootcert, endpoint.hostName) as boolean | object),
    connect_timeout: limitSeconds,
    keep_alive: 60,
    connection: parameters,
    onnotice: (notice) => {
      // Not said: a rollback of nothing after a failure, and the warning of the lock guard's release of a
      // lock the session does not hold (lockGuardStatement), which the guard's own error says better.
      if (state.rollingBack && notice['code'] === '25P01') return;
      if (notice['routine'] === 'LockRelease') return;
      logNotice(logger, notice);
    },
    onclose: () => {
      if (state.closing || state.lost) return;
      state.lost = true;
      state.lostBy = 'the server closed it while it was idle';
    },
  };
}

/**
 * Opens the connection with a first query before reserving it: postgres.js 3.4 never resolves reserve()
 * on a not-yet-open connection when fetch_types is off. With max 1 the reserved one is this same backend.
 */
async function pin(sql: postgres.Sql, { within, findTable }: SessionStart): Promise<{ reserved: postgres.ReservedSql; info: SessionInfo }> {
  const found = findTable === undefined
    ? 'NULL::name'
    : `(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(${quoteLiteral(quoteIdentifier(findTable))}))`;
  const [row] = await within(
    sql.unsafe<Array<Record<string, unknown>>>(
      `SELECT pg_backend_pid() AS pid, current_schema() AS schema, current_user AS "user",
              current_database() AS database, current_setting('server_version') AS version,
              pg_postmaster_start_time()::text || ' ' || (SELECT oid FROM pg_database WHERE datname = current_database()) AS identity,
              coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS tls, ${found} AS found_schema,
              current_setting('track_counts')::bool AS track_counts`,
    ),
  );
  const reserved = await within(sql.reserve());
  const info: SessionInfo = {
    pid: Number(row?.['pid']),
    currentSchema: (row?.['schema'] as string | null) ?? null,
    foundTableSchema: (row?.['found_schema'] as string | null) ?? null,
    user: String(row?.['user']),
    database: String(row?.['database']),
    serverVersion: String(row?.['version']),
    tls: row?.['tls'] === true,
    trackCounts: row?.['track_counts'] === true,
    databaseIdentity: String(row?.['identity']),
  };
  return { reserved, info };
}

function wrap(sql: postgres.Sql, reserved: postgres.ReservedSql, info: SessionInfo, state: ConnectionState): Session {
  // In the order sent: two at once when a script is sent behind another (pipelined).
  const running = new Set<{ cancel(): void }>();
  const translate = (error: unknown): Error => {
    const failure = statementFailure(error, state.lost);
    if (failure.connectionGone && !state.lost) {
      state.lost = true;
      state.lostBy = failure.error.message;
    }
    return failure.error;
  };
  const guard = (): void => {
    if (state.lost) {
      throw new PgshiftError('CONNECTION_LOST', `the connection to the database was lost${state.lostBy === undefined ? '' : ` (${state.lostBy})`}`, {
        hint: 'the server closed it (restart, failover, or pg_terminate_backend); run the command again',
      });
    }
  };

  return {
    info,
    async execute(text, onRow) {
      guard();
      const pending = reserved.unsafe(text);
      running.add(pending);
      try {
        await (onRow ? pending.forEach((row) => onRow(row)) : pending);
      } catch (error) {
        throw translate(error);
      } finally {
        running.delete(pending);
      }
    },
    async query<T extends object>(text: string) {
      guard();
      const pending = reserved.unsafe(text);
      running.add(pending);
      try {
        const result = await pending;
        return {
          rows: result as unknown as T[],
          columns: (result.columns ?? []).map((column) => ({ name: column.name, type: column.type })),
        };
      } catch (error) {
        throw translate(error);
      } finally {
        running.delete(pending);
      }
    },
    async rollback() {
      // On a closed connection the driver would write to a socket that is gone; the server rolled back already.
      if (state.lost) return;
      state.rollingBack = true;
      try {
        await reserved.unsafe('ROLLBACK');
      } catch {
        // The session is gone or broken: the server rolls back what was open when it ends.
      } finally {
        state.rollingBack = false;
      }
    },
    async cancel() {
      // The oldest is the one the server runs (or has just finished, and the request then reaches the next):
      // a cancel request names the server process, not a statement, as psql's does. One behind it would be
      // cancelled by the driver only once it starts, and could reach whatever the session runs after it.
      const [oldest] = running;
      await oldest?.cancel();
    },
    async close() {
      state.closing = true;
      reserved.release();
      // A lost connection has nothing to finish: waiting for it would only delay the error by the timeout.
      await sql.end({ timeout: state.lost ? 0 : 5 });
    },
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
