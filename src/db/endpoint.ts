/**
 * Where a connection goes, worked out completely before the driver sees it. postgres.js fills every field
 * it is not given from process.env by itself (PGHOST, PGDATABASE, PGPASSWORD, PGSSL...), which would let a
 * stray variable change the target field by field; so every field is resolved here, with libpq's
 * defaults, and passed explicitly. The URL is parsed here too, so a malformed one never reaches the driver.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { defined } from '../core/defined.js';
import { PgshiftError } from '../core/errors.js';
import { SSL_MODES, type ConnectionSettings, type SslMode } from './settings.js';

export interface Endpoint {
  /** A host name, an IP address, or the directory of a Unix socket. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** The name TLS verifies and .pgpass matches: the host, or PGHOST when PGHOSTADDR gives the address. */
  readonly hostName: string;
  readonly sslmode?: SslMode;
  readonly sslrootcert?: string;
  /** A password written in the URL (`user:password@` or `?password=`), else the settings' (PGPASSWORD). */
  readonly password?: string;
  readonly connectTimeoutSeconds?: number;
  /** The URL's application_name, sent to the server as a session setting. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** Query parameters of a URL that pgshift honours; any other is refused rather than silently ignored. */
const URL_PARAMETERS = ['dbname', 'host', 'port', 'user', 'password', 'sslmode', 'sslrootcert', 'connect_timeout', 'application_name'];

export function resolveEndpoint(settings: ConnectionSettings): Endpoint {
  const url = settings.url === undefined ? undefined : urlFields(settings.url);
  const port = url?.port ?? settings.port ?? 5432;
  const user = url?.user ?? settings.user ?? userInfo().username;
  const named = url?.host ?? settings.host;
  const host = url?.host ?? settings.hostaddr ?? settings.host ?? defaultHost(port);
  const sslmode = url?.sslmode ?? settings.sslmode;
  const sslrootcert = url?.sslrootcert ?? settings.sslrootcert;
  const password = url?.password ?? settings.password;
  const connectTimeoutSeconds = settings.connectTimeoutSeconds ?? url?.connectTimeoutSeconds;
  return {
    host,
    port,
    user,
    database: url?.database ?? settings.database ?? user,
    hostName: named ?? host,
    ...defined({ sslmode, sslrootcert, password, connectTimeoutSeconds }),
    parameters: url?.parameters ?? {},
  };
}

/** user@host:port/database: everything about the target except its secret. */
export function describeEndpoint(endpoint: Endpoint): string {
  return `${endpoint.user}@${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}/${endpoint.database}`;
}

/** The same server and credentials, another database (for verify's scratch database). */
export function withDatabase(settings: ConnectionSettings, database: string): ConnectionSettings {
  if (settings.url === undefined) return { ...settings, database };
  const url = parseConnectionUrl(settings.url);
  url.pathname = `/${encodeURIComponent(database)}`;
  url.searchParams.delete('dbname');
  return { ...settings, url: url.toString() };
}

/**
 * The endpoint as one postgres:// URL that libpq, psql and postgres.js all read the same way: what a test
 * database hands to the code under test. It carries the password when one was given (from a URL or
 * PGPASSWORD; a password command's is not known here): print it only through redactUrl.
 */
export function connectionUrl(endpoint: Endpoint): string {
  const url = new URL('postgres://localhost');
  const socket = isSocket(endpoint.host);
  if (!socket) url.hostname = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  url.port = String(endpoint.port);
  url.username = encodeURIComponent(endpoint.user);
  if (endpoint.password !== undefined) url.password = encodeURIComponent(endpoint.password);
  url.pathname = `/${encodeURIComponent(endpoint.database)}`;
  if (socket) url.searchParams.set('host', endpoint.host);
  for (const [key, value] of Object.entries(defined({ sslmode: endpoint.sslmode, sslrootcert: endpoint.sslrootcert, ...endpoint.parameters }))) url.searchParams.set(key, value);
  // Without a host the URL API keeps "localhost": a socket's URL names no host before the path.
  return socket ? url.toString().replace('//localhost', '//') : url.toString();
}

/** A host that is a directory is a Unix socket: TLS does not apply there, as in libpq. */
export function isSocket(host: string): boolean {
  return host.startsWith('/');
}

/** libpq without a host: its Unix socket directory when a server listens there, else localhost. */
function defaultHost(port: number): string {
  return ['/var/run/postgresql', '/tmp'].find((dir) => existsSync(`${dir}/.s.PGSQL.${port}`)) ?? 'localhost';
}

/** What a URL says, in the settings' own terms. As in libpq, a query parameter beats the URL part it repeats. */
type UrlFields = Pick<ConnectionSettings, 'host' | 'port' | 'user' | 'password' | 'database' | 'sslmode' | 'sslrootcert' | 'connectTimeoutSeconds'> & {
  readonly parameters: Record<string, string>;
};

function urlFields(href: string): UrlFields {
  const url = parseConnectionUrl(href);
  refuseUnknownParameters(url);
  const query = (key: string): string | undefined => url.searchParams.get(key) ?? undefined;
  const decode = (part: string, what: string): string | undefined => (part === '' ? undefined : decodePart(part, what, href));
  const sslmode = query('sslmode');
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode as SslMode)) {
    throw new PgshiftError('CONFIG_INVALID', `sslmode=${sslmode} in the database URL is not one of ${SSL_MODES.join(', ')}`, {
      hint: 'write one of those in the URL (require encrypts; verify-full also checks the certificate and host name), or leave sslmode out',
    });
  }
  const port = query('port') ?? (url.port === '' ? undefined : url.port);
  if (port !== undefined && !/^\d{1,5}$/.test(port)) {
    throw new PgshiftError('CONFIG_INVALID', `port ${port} in the database URL is not a port number`, {
      hint: 'write the server\'s port after the host (postgres://user@host:5432/db), or leave it out for 5432',
    });
  }
  const timeout = query('connect_timeout');
  const hostname = query('host') ?? decode(url.hostname.replace(/^\[(.*)\]$/, '$1'), 'host');
  const applicationName = query('application_name');
  return {
    ...defined({
      host: hostname,
      port: port === undefined ? undefined : Number(port),
      user: query('user') ?? decode(url.username, 'user name'),
      // libpq reads the query's password after the user info, so it wins.
      password: query('password') ?? decode(url.password, 'password'),
      database: query('dbname') ?? decode(url.pathname.slice(1), 'database name'),
      sslmode: sslmode as SslMode | undefined,
      sslrootcert: query('sslrootcert'),
      connectTimeoutSeconds: timeout === undefined || !(Number(timeout) > 0) ? undefined : Number(timeout),
    }),
    parameters: defined({ application_name: applicationName }),
  };
}

function refuseUnknownParameters(url: URL): void {
  const unknown = [...new Set(url.searchParams.keys())].filter((key) => !URL_PARAMETERS.includes(key));
  if (unknown.length === 0) return;
  // The parameter's name says what is wrong; the URL itself (its host, user, other settings) stays out of the log.
  throw new PgshiftError('CONFIG_INVALID', `the database URL has ${unknown.map((key) => `?${key}=`).join(', ')}, which pgshift does not honour`, {
    hint: `remove it from the URL: pgshift honours only ${URL_PARAMETERS.join(', ')} (set other server settings in the migrations or with ALTER ROLE ... SET)`,
  });
}

function decodePart(part: string, what: string, href: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new PgshiftError('CONFIG_INVALID', `the database URL's ${what} has a bad percent escape: ${redactUrl(href)}`, {
      hint: 'a % must start an escape of two hex digits: write a literal % as %25 (and @ : / as %40 %3A %2F)',
    });
  }
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
    // Up to the last @: an unencoded @ in the password must not leave part of it behind; and any query
    // parameter whose name speaks of a secret, as above, up to the next & (or the end).
    return url.replace(/\/\/([^:/@]*):.*@/, '//$1:***@').replace(/([?&][^=&#]*(?:pass|token|secret)[^=&#]*=)[^&#]*/gi, '$1***');
  }
}

/** host:port/database: what tells targets apart in a many-database run, without the user or any secret. */
export function endpointName(settings: ConnectionSettings): string {
  const { host, port, database } = resolveEndpoint(settings);
  return `${host.includes(':') ? `[${host}]` : host}:${port}/${database}`;
}
