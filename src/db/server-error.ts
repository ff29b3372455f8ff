/**
 * What the driver's errors mean to pgshift: a statement the server refused becomes a ServerError with the
 * server's fields as plain data; a connection that dropped or never opened becomes a PgshiftError that says
 * why in words, with a hint.
 */
import postgres from 'postgres';
import { defined } from '../core/defined.js';
import { PgshiftError } from '../core/errors.js';
import { describeEndpoint, type Endpoint } from './endpoint.js';

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

/** SQLSTATEs that end the session itself: connection exceptions and administrator or crash shutdowns. */
const SESSION_ENDED_STATES = /^(08|57P0)/;

/** Node's codes for a server certificate that does not verify. */
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/;

function codeOf(error: unknown): string {
  return (error as { code?: string } | undefined)?.code ?? '';
}

/** A connection error in words with its code in parentheses, e.g. "connection refused (ECONNREFUSED)". */
function inWords(error: unknown): string {
  const code = codeOf(error);
  const limit = (error as { limitSeconds?: number }).limitSeconds;
  const words = limit === undefined ? CODE_WORDS[code] : `timed out after ${limit} s`;
  return words === undefined ? (error as Error).message || code : `${words} (${code})`;
}

/**
 * A failed statement in pgshift's terms: what the server refused is a ServerError; a connection that is
 * gone (or was `lost` before) is CONNECTION_LOST, and `connectionGone` says the session cannot go on.
 */
export function statementFailure(error: unknown, lost: boolean): { readonly error: Error; readonly connectionGone: boolean } {
  // A FATAL error ends the session whatever its SQLSTATE (ALTER DATABASE on a database being dropped is one).
  const fatal = error instanceof postgres.PostgresError && (error.severity === 'FATAL' || error.severity === 'PANIC');
  if (error instanceof postgres.PostgresError && !fatal && !SESSION_ENDED_STATES.test(error.code)) {
    return { error: toServerError(error), connectionGone: false };
  }
  if (error instanceof postgres.PostgresError || lost || CONNECTION_CODES.has(codeOf(error))) {
    const failure = new PgshiftError('CONNECTION_LOST', `the connection to the database was lost: ${inWords(error)}`, {
      hint: 'the transaction that was running was rolled back by the server (a no-transaction file keeps the statements it finished: status shows them); run the command again',
      cause: error,
    });
    return { error: failure, connectionGone: true };
  }
  return { error: error as Error, connectionGone: false };
}

/** Worth waiting for: the server is not reachable or not ready yet. Wrong credentials or names are not. */
export function retryable(cause: unknown): boolean {
  if (cause instanceof postgres.PostgresError) return ['57P03', '53300', '08006', '08001'].includes(cause.code);
  return CONNECTION_CODES.has(codeOf(cause));
}

function toServerError(error: postgres.PostgresError): ServerError {
  const text = (value: string | undefined): string | undefined => (value === '' ? undefined : value);
  const position = Number(error.position);
  return new ServerError(error.message, {
    sqlState: error.code,
    ...defined({
      detail: text(error.detail),
      hint: text(error.hint),
      position: Number.isInteger(position) && position > 0 ? position : undefined,
      where: text(error.where),
      tableName: text(error.table_name),
      constraintName: text(error.constraint_name),
    }),
  });
}

/** What to do about a server (or a pooler) that answered and refused the connection. */
function refusalHint(error: postgres.PostgresError): string {
  if (/no encryption/.test(error.message)) return 'the server accepts this user only over TLS: set sslmode=require in the URL, or PGSSLMODE=require';
  if (error.code === '28P01' || error.code === '28000') return 'check the user and password (a token used as a password may have expired: get a new one)';
  if (error.code === '3D000') return 'create the database first, or point --database at one that exists';
  // Only a pooler says this: PostgreSQL itself takes any setting at startup.
  if (/unsupported startup parameter/.test(error.message)) {
    return "a connection pooler (PgBouncer) between pgshift and the server refuses the settings pgshift sends when it connects (its version for the ledger, --schema's search_path, a read-only trace's settings): run up, down, status, validate and drift through it with --lock transaction, which sends none, or point --database at the server itself, not at the pooler";
  }
  return 'check that the server accepts connections from this host';
}

/** Why connecting to `endpoint` failed, with what to do about it. */
export function connectionFailure(error: unknown, endpoint: Endpoint): PgshiftError {
  const target = describeEndpoint(endpoint);
  const { sslmode } = endpoint;
  if (error instanceof postgres.PostgresError) {
    return new PgshiftError('CONNECTION_FAILED', `could not connect to ${target}: ${error.message}`, { hint: refusalHint(error), cause: error });
  }
  const code = codeOf(error);
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
