/**
 * Where a connection's password and TLS settings come from when they are not written out: a command run
 * for every new connection (short-lived tokens such as Lakebase's), libpq's password file, and libpq's
 * sslmode/sslrootcert rules. A password never reaches a log line or an error message.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { checkServerIdentity as checkIdentity, type PeerCertificate } from 'node:tls';
import { PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SslMode } from './settings.js';

export interface CommandLimits {
  /** The connect timeout: a command still running after it is killed. */
  readonly limitSeconds: number;
  /** An interrupt kills the command at once. */
  readonly signal?: AbortSignal | undefined;
  /** The target of a many-database run, handed to the command as PGSHIFT_TARGET. */
  readonly target?: string;
}

/** Runs the command with a shell, as libpq users expect of such settings; its trimmed stdout is the password. */
export async function passwordFromCommand(command: string, limits: CommandLimits): Promise<string> {
  // Loaded here: most runs never start a process, and loading child_process costs every run.
  const { spawn } = await import('node:child_process');
  const hint = 'run the --password-command (or PGSHIFT_PASSWORD_COMMAND) by hand to see why; it must print the password or token on stdout';
  return new Promise((resolve, reject) => {
    let timedOut = false;
    // Its own process group (execFile cannot make one), so killing it also kills what the shell started.
    // A target's name reaches the command as PGSHIFT_TARGET, set by the shell itself: as an argument it
    // needs no quoting, and the command inherits the rest of pgshift's environment unchanged.
    const args = limits.target === undefined ? ['-c', command] : ['-c', 'PGSHIFT_TARGET=$1; export PGSHIFT_TARGET; eval "$2"', 'sh', limits.target, command];
    const child = spawn('/bin/sh', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const finish = (why: string | undefined): void => {
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', stop);
      const password = stdout().trim();
      if (why === undefined && password !== '') return resolve(password);
      if (limits.signal?.aborted) {
        return reject(new PgshiftError('INTERRUPTED', 'interrupted while the password command ran', { hint: 'the command was stopped; nothing was run on the database' }));
      }
      if (timedOut) {
        return reject(new PgshiftError('CONFIG_INVALID', `the password command took longer than ${limits.limitSeconds} s (the connect timeout) and was stopped`, { hint }));
      }
      const said = stderr().trim();
      reject(new PgshiftError('CONFIG_INVALID', `the password command failed: ${why ?? 'it printed nothing'}${said ? `; its stderr: ${said.slice(0, 2000)}` : ''}`, { hint }));
    };
    child.on('error', (error) => finish(`it could not start: ${error.message}`));
    // After its output is closed too; the time limit also bounds a background process that holds it open.
    child.on('close', (code, signal) => finish(code === 0 ? undefined : `it exited with ${code ?? signal ?? 'an error'}`));
  });
}

/** The text a stream has given so far, up to a megabyte. */
function collect(stream: Readable): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (text.length < 1 << 20) text += chunk;
  });
  return () => text;
}

export interface PasswordLookup {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/**
 * libpq's ~/.pgpass (or PGPASSFILE), ignored as libpq ignores it when others may read it. pgpass writes
 * why it ignored a file to a stream of its own ("WARNING: password file ... has group or world access"):
 * pgshift logs it as a warning of its own, with what to do.
 */
export async function passwordFromFile(lookup: PasswordLookup, logger: Logger): Promise<string | undefined> {
  const { default: pgPass } = await import('pgpass');
  pgPass.warnTo(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        const message = chunk.toString().trim().replace(/^WARNING: /, '');
        logger.warn(`${message}: pgshift ignores it, as libpq does`, { hint: 'make the password file readable by its owner only (chmod 600), or give the password another way' });
        done();
      },
    }),
  );
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
