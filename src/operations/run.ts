/**
 * The one way an operation reaches the database: `withRun` opens what the operation needs, hands it a
 * `Run`, and closes everything again however the work ended.
 */
import type { ResolvedOptions } from '../config/migrator-options.js';
import { defined } from '../core/defined.js';
import { isPgshiftError, PgshiftError } from '../core/errors.js';
import { quoteIdentifier } from '../core/sql-quote.js';
import { timed } from '../core/timings.js';
import { PROVENANCE_SETTINGS, resolveLedgerTable, unqualifiedName, type LedgerTable } from '../db/ledger.js';
import { acquireLock, lockKey, releaseLock } from '../db/lock.js';
import { openSession } from '../db/connect.js';
import { ServerError } from '../db/server-error.js';
import type { Session } from '../db/session.js';
import type { ConnectionSettings } from '../db/settings.js';
import { connectedTarget } from '../db/target.js';
import { interrupted, type ScriptContext } from '../executor/send-script.js';
import { ownStatementFailure } from '../executor/failure.js';
import { PGSHIFT_VERSION } from '../version.js';
import type { ProgressEvent } from '../migrator-types.js';
import { runProgress, type RunProgress } from './progress.js';

/**
 * An open session on the target database with the ledger it works on. Guarantees, for the whole of the work:
 * the session is connected (the embedded server started if it is the target); with `writes`, the session
 * carries the provenance its ledger rows record and the schema of the `schema` option exists; with `lock`,
 * this session holds the migration lock of `table`. Under --lock transaction (a transaction-mode pooler)
 * none of that holds for the session: each transaction the run writes in sets, makes and takes it itself
 * (db/xact-lock.ts).
 */
export interface Run extends ScriptContext {
  readonly session: Session;
  readonly table: LedgerTable;
  readonly signal: AbortSignal | undefined;
  /** What the session connected with: a scratch database is opened on the same server with these. */
  readonly settings: ConnectionSettings;
  /**
   * The session's startup parameters (none are sent under --lock transaction, whose transactions set them
   * locally): a scratch session starts with the same search_path.
   */
  readonly parameters: Readonly<Record<string, string>>;
  /** Opened read-only (RunNeeds.readOnly). */
  readonly readOnly: boolean;
  readonly observer: RunObserver | undefined;
  /** Set when the caller asked for progress (onProgress). */
  readonly progress: RunProgress | undefined;
}

/**
 * What a many-database run watches each target's run through: where its ledger stood before, and the file
 * it is running now. Called synchronously; the run never waits on it.
 */
export interface RunObserver {
  /** The applied versions as the run read them before planning (again after a re-read). */
  ledgerRead?(versions: readonly number[]): void;
  /** A migration or rollback file is about to be sent. */
  fileStarted?(path: string): void;
  /** Connected, and the ledger settled: what identifies it on any server. Throwing stops this run before it reads the ledger. */
  ledgerFound?(identity: string, where: string): void;
}

/** The call options of an operation a many-database run watches; not part of the public API. */
export interface Observed {
  readonly observer?: RunObserver | undefined;
}

export interface RunNeeds {
  /** Take the migration lock for the work, and release it after. */
  readonly lock: boolean;
  /** The work may write ledger rows. */
  readonly writes: boolean;
  /** The session starts with default_transaction_read_only on: the work only reads the target. */
  readonly readOnly?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly observer?: RunObserver | undefined;
  /** Before each pause between --wait attempts to connect; what it throws ends the wait. */
  readonly beforeRetry?: (() => Promise<void>) | undefined;
  readonly onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/**
 * Runs `work` in a Run and closes it after: the lock released, the session closed, the embedded server
 * stopped, whether the work returned or threw. An error it lets out is a PgshiftError wherever the failure
 * was one of pgshift's own statements, and once connected it names the database it happened in (`target`).
 */
export async function withRun<T>(context: ResolvedOptions, needs: RunNeeds, work: (run: Run) => Promise<T>): Promise<T> {
  const { logger, schema, target } = context;
  if (needs.onProgress !== undefined && typeof needs.onProgress !== 'function') {
    throw new PgshiftError('USAGE', `onProgress must be a function, not ${typeof needs.onProgress}`, { hint: 'pass (event) => { ... }, or leave onProgress out' });
  }
  const parameters: Record<string, string> = {
    ...(needs.writes ? { [PROVENANCE_SETTINGS.version]: PGSHIFT_VERSION } : {}),
    // A startup parameter: the session starts in the schema, at no extra round trip.
    ...defined({ search_path: schema === undefined ? undefined : quoteIdentifier(schema) }),
  };
  let settings: ConnectionSettings;
  let stopServer = async (): Promise<void> => undefined;
  if ('embedded' in target) {
    // Loaded only for the embedded default: runs against a server never load it.
    const { startEmbedded } = await import('../db/embedded.js');
    const server = await startEmbedded(target.embedded, logger);
    settings = { ...server.settings, origin: 'default (no database configured: the embedded server)' };
    stopServer = () => server.stop();
  } else {
    settings = target;
  }
  try {
    const { signal } = needs;
    if (signal?.aborted) throw interrupted();
    // An unqualified ledger is found where search_path finds it, as any table would be: a later schema of the
    // path coming into being (a migration created it) must not hide the ledger behind an empty new place.
    const findTable = schema === undefined ? unqualifiedName(context.table) : undefined;
    const startup = startupParameters(context, needs, parameters);
    const session = await timed('connect', () => openSession(settings, logger, { waitSeconds: context.connectWaitSeconds, signal, parameters: startup, findTable, beforeRetry: needs.beforeRetry }));
    const connected = connectedTarget(settings, session.info);
    logger.info(connected.message, connected.fields);
    const { lockWaitMs, lockScope } = context;
    const progress = needs.onProgress && runProgress(needs.onProgress, { session, settings, logger, pooled: lockScope === 'transaction' });
    let table: LedgerTable | undefined;
    try {
      table = {
        ...resolveLedgerTable(context.table, schema ?? session.info.foundTableSchema ?? session.info.currentSchema), countsChanges: session.info.trackCounts,
        settings: { schema, version: PGSHIFT_VERSION },
      };
      needs.observer?.ledgerFound?.(`${session.info.databaseIdentity} ${table.sql}`, connected.fields.target);
      const run: Run = {
        session, table, logger, signal, settings, parameters, readOnly: needs.readOnly === true, observer: needs.observer, lockWaitMs, progress,
        ...defined({ watch: progress && (() => progress.watch()) }),
      };
      return await (needs.lock && lockScope === 'session' ? whileLocked(context, run, work) : work(run));
    } catch (caught) {
      const error = table ? asPgshiftError(caught, table) : caught;
      // Whatever failed from here on failed in this database: the message says which one.
      if (isPgshiftError(error)) error.target ??= connected.fields.target;
      throw error;
    } finally {
      await progress?.settled();
      await timed('close', () => session.close().catch(() => undefined));
    }
  } finally {
    await stopServer();
  }
}

/**
 * What the session starts with. Under --lock transaction nothing: a transaction-mode pooler refuses
 * startup parameters it does not know, and would not keep them for the next transaction anyway.
 */
function startupParameters(context: ResolvedOptions, needs: RunNeeds, parameters: Record<string, string>): Record<string, string> {
  if (context.lockScope === 'transaction') return {};
  // A read-only session's reads give up after --lock-wait (a ledger locked by a migration must not hold it
  // for ever). Neither setting is handed on to scratch sessions with `parameters`: they build a schema.
  return needs.readOnly === true ? { ...parameters, default_transaction_read_only: 'on', lock_timeout: `${context.lockWaitMs}ms` } : parameters;
}

/** `work` under the migration lock of the run's ledger, released after it however it ended. */
export async function whileLocked<T>(context: ResolvedOptions, run: Run, work: (run: Run) => Promise<T>): Promise<T> {
  const key = lockKey(run.table);
  await timed('migration lock', () => acquireLock(run.session, key, { waitMs: context.lockWaitMs, logger: run.logger, signal: run.signal }));
  run.logger.debug('migration lock acquired', { table: run.table.display, pid: run.session.info.pid });
  try {
    return await work(run);
  } finally {
    await releaseLock(run.session, key).catch(() => undefined);
  }
}

/** A server error from one of pgshift's own statements said as pgshift's error; anything else as it is. */
export function asPgshiftError(error: unknown, table: LedgerTable): unknown {
  return error instanceof ServerError ? ownStatementFailure(error, table) : error;
}
