/**
 * What a caller says about where to connect, as plain data. Nothing here loads the driver, so the
 * environment reader and the API's types can name these without pulling postgres.js in.
 */

/** Whether `text` is a connection URL by its scheme, spelt in lower case as libpq reads it. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//.test(text);
}

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

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
  /** A many-database run's name for this target: a password command finds it in PGSHIFT_TARGET. */
  readonly targetName?: string;
  /** Where these settings came from (`--database`, `DATABASE_URL from .env`...), named with the target. */
  readonly origin?: string;
}
