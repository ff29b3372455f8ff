/**
 * Opening a session: the password looked up right before each attempt, pgshift's own time limit and the
 * interrupt around the driver, and --wait's retries while the server is not up yet.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS } from '../config/defaults.js';
import { defined } from '../core/defined.js';
import { isPgshiftError, PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { passwordFromCommand, passwordFromFile, type CommandLimits } from './credentials.js';
import { describeEndpoint, resolveEndpoint, type Endpoint } from './endpoint.js';
import { connectionFailure, retryable } from './server-error.js';
import { startSession, type Session } from './session.js';
import type { ConnectionSettings } from './settings.js';

export interface OpenOptions {
  /** Session settings sent when connecting (custom `pgshift.*` settings cost no round trip this way). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Keep trying to connect for this long while the server is not up yet (refused, starting up, no DNS yet). */
  readonly waitSeconds?: number;
  readonly signal?: AbortSignal | undefined;
  /** An unqualified table name whose schema, as the session's search_path finds it, SessionInfo reports. */
  readonly findTable?: string | undefined;
  /** Runs before each pause between --wait attempts: what it throws ends the wait with that error. */
  readonly beforeRetry?: (() => Promise<void>) | undefined;
}

export async function openSession(settings: ConnectionSettings, logger: Logger, open: OpenOptions = {}): Promise<Session> {
  const deadline = performance.now() + (open.waitSeconds ?? 0) * 1000;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(settings, logger, open);
    } catch (error) {
      const remaining = deadline - performance.now();
      if (!isPgshiftError(error) || error.code !== 'CONNECTION_FAILED' || !retryable(error.cause) || open.signal?.aborted) throw error;
      if (remaining <= 0) {
        if (attempt === 1) throw error;
        throw new PgshiftError(error.code, `${error.message} (gave up after ${attempt} attempts in ${open.waitSeconds} s of --wait)`, {
          ...defined({ hint: error.hint }),
          cause: error.cause,
        });
      }
      await open.beforeRetry?.();
      logger.info(`${error.message}; retrying in ${Math.round(Math.min(delay, remaining))} ms (--wait, attempt ${attempt})`);
      await sleep(Math.min(delay, remaining), undefined, defined({ signal: open.signal })).catch(() => {
        // Ctrl-C during the pause between attempts stops at once, as it does during an attempt.
        throw new PgshiftError('INTERRUPTED', `interrupted while waiting to connect (--wait, attempt ${attempt})`, { hint: 'nothing was run on the database' });
      });
      delay = Math.min(delay * 2, 2000);
    }
  }
}

/** Each session's password lookup, for a second session with the same credentials (openSibling). */
const passwords = new WeakMap<Session, () => Promise<string | undefined>>();

/**
 * A second session on `session`'s database with its credentials: a password command's token is reused, not
 * fetched again. Opened once, never retried.
 */
export function openSibling(session: Session, settings: ConnectionSettings, logger: Logger, parameters: Readonly<Record<string, string>>): Promise<Session> {
  return connect(settings, logger, { parameters }, passwords.get(session));
}

async function connect(
  settings: ConnectionSettings,
  logger: Logger,
  { parameters = {}, signal, findTable }: OpenOptions,
  known?: () => Promise<string | undefined>,
): Promise<Session> {
  const endpoint = resolveEndpoint(settings);
  const limitSeconds = endpoint.connectTimeoutSeconds ?? DEFAULTS.connectTimeoutSeconds;
  const password = known ?? (await passwordOf(settings, endpoint, { limitSeconds, signal }, logger));
  try {
    const session = await startSession({
      endpoint,
      password,
      limitSeconds,
      parameters: { application_name: settings.applicationName ?? DEFAULTS.applicationName, ...endpoint.parameters, ...parameters },
      logger,
      findTable,
      // The limit is pgshift's own, around the whole connect: postgres.js reconnects by itself after a
      // refused or timed-out attempt and would retry for ever.
      within: (pending) => withinLimit(pending, limitSeconds, signal),
    });
    passwords.set(session, password);
    return session;
  } catch (error) {
    if (isPgshiftError(error)) throw error;
    if ((error as { code?: string }).code === 'ABORT_ERR') {
      throw new PgshiftError('INTERRUPTED', `interrupted while connecting to ${describeEndpoint(endpoint)}`, { hint: 'nothing was run on the database' });
    }
    throw connectionFailure(error, endpoint);
  }
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

/**
 * A password command wins: it was asked for explicitly, and a token in the environment or the URL may be
 * stale. It runs now, once for this connection (a token is short-lived, so it is fetched right before use).
 * Then a password given in the URL or PGPASSWORD, then libpq's password file, which (as libpq does) is read
 * only when the server asks for a password: a server that trusts the connection never needs it.
 */
async function passwordOf(settings: ConnectionSettings, endpoint: Endpoint, limits: CommandLimits, logger: Logger): Promise<() => Promise<string | undefined>> {
  if (settings.passwordCommand !== undefined) {
    const token = await passwordFromCommand(settings.passwordCommand, { ...limits, ...defined({ target: settings.targetName }) });
    return async () => token;
  }
  const { password, hostName: host, port, user, database } = endpoint;
  return password !== undefined ? async () => password : () => passwordFromFile({ host, port, user, database }, logger);
}
