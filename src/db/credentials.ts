/**
 * Where a connection's password and TLS settings come from when they are not written out: a command run
 * for every new connection (short-lived tokens such as Lakebase's), libpq's password file, and libpq's
 * sslmode/sslrootcert rules. A password never reaches a log line or an error message.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity as checkIdentity, type PeerCertificate } from 'node:tls';
import pgPass from 'pgpass';
import { PgshiftError } from '../core/errors.js';
import type { SslMode } from './endpoint.js';

export interface CommandLimits {
  /** The connect timeout: a command still running after it is killed. */
  readonly limitSeconds: number;
  /** An interrupt kills the command at once. */
  readonly signal?: AbortSignal | undefined;
}

/** Runs the command with a shell, as libpq users expect of such settings; its trimmed stdout is the password. */
export function passwordFromCommand(command: string, limits: CommandLimits): Promise<string> {
  const hint = 'run the --password-command (or PGSHIFT_PASSWORD_COMMAND) by hand to see why; it must print the password or token on stdout';
  return new Promise((resolve, reject) => {
    let timedOut = false;
    // Its own process group, so killing it also kills what the shell started (sleep, curl...).
    const options = { encoding: 'utf8' as const, detached: true, maxBuffer: 1 << 20 };
    const child = execFile('/bin/sh', ['-c', command], options, (error, stdout, stderr) => {
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', stop);
      const password = stdout.trim();
      if (!error && password !== '') return resolve(password);
      if (limits.signal?.aborted) {
        return reject(new PgshiftError('INTERRUPTED', 'interrupted while the password command ran', { hint: 'the command was stopped; nothing was run on the database' }));
      }
      if (timedOut) {
        return reject(new PgshiftError('CONFIG_INVALID', `the password command took longer than ${limits.limitSeconds} s (the connect timeout) and was stopped`, { hint }));
      }
      const why = error ? `it exited with ${error.code ?? error.signal ?? 'an error'}` : 'it printed nothing';
      reject(new PgshiftError('CONFIG_INVALID', `the password command failed: ${why}${stderr.trim() ? `; its stderr: ${stderr.trim().slice(0, 2000)}` : ''}`, { hint }));
    });
    const stop = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // It ended meanwhile.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, limits.limitSeconds * 1000);
    if (limits.signal?.aborted) stop();
    limits.signal?.addEventListener('abort', stop, { once: true });
  });
}

export interface PasswordLookup {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/** libpq's ~/.pgpass (or PGPASSFILE), ignored as libpq ignores it when others may read it. */
export function passwordFromFile(lookup: PasswordLookup): Promise<string | undefined> {
  return new Promise((resolve) => pgPass(lookup, (password) => resolve(password)));
}

export type TlsOption =
  | boolean
  | 'prefer'
  | 'require'
  | { readonly ca?: Buffer; readonly rejectUnauthorized: true; readonly checkServerIdentity: (name: string, cert: PeerCertificate) => Error | undefined };

/**
 * libpq's meaning of each sslmode: disable; allow and prefer try TLS and accept a server without it; require
 * encrypts without checking the certificate unless a root certificate is given (then it checks, as
 * verify-ca); verify-ca checks the chain; verify-full also checks the host name. The root certificate is
 * sslrootcert, else ~/.postgresql/root.crt, else the system's.
 */
export function tlsOption(mode: SslMode, rootCert: string | undefined, host: string): TlsOption {
  if (mode === 'disable') return false;
  if (mode === 'allow' || mode === 'prefer') return 'prefer';
  const path = rootCert ?? defaultRootCert();
  if (mode === 'require' && path === undefined) return 'require';
  let ca: Buffer | undefined;
  if (path !== undefined) {
    try {
      ca = readFileSync(path);
    } catch (error) {
      throw new PgshiftError('CONFIG_INVALID', `cannot read the root certificate ${path}: ${(error as Error).message}`, {
        hint: 'point sslrootcert (or PGSSLROOTCERT) at the PEM file of the CA that signed the server certificate',
      });
    }
  }
  // The name is checked against the host pgshift connected to: the driver hands TLS an open socket, and
  // Node would otherwise check an IP address target against "localhost".
  const checkServerIdentity = mode === 'verify-full' ? (_name: string, cert: PeerCertificate) => checkIdentity(host, cert) : () => undefined;
  return { ...(ca ? { ca } : {}), rejectUnauthorized: true, checkServerIdentity };
}

function defaultRootCert(): string | undefined {
  const path = join(homedir(), '.postgresql', 'root.crt');
  try {
    readFileSync(path);
    return path;
  } catch {
    return undefined;
  }
}
