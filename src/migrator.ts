/**
 * The programmatic API and the one place where files, planner, ledger, lock and executor are put together.
 * The CLI is a thin layer over this; nothing here prints, exits or reads the environment.
 */
import { join, resolve } from 'node:path';
import { buildCatalog, type Catalog } from './core/catalog.js';
import { failValidation, isPgshiftError, PgshiftError, type Problem } from './core/errors.js';
import { silentLogger, type Logger } from './core/logger.js';
import { DURATION } from './core/directives.js';
import { planDown, planUp, statusOf, validationProblems, type History } from './core/planner.js';
import type { MigrationResult, SqlFile, StatusEntry } from './core/types.js';
import { startEmbedded, type EmbeddedOptions } from './db/embedded.js';
import { DEFAULT_TABLE, readLedger, resolveLedgerTable, type LedgerState, type LedgerTable } from './db/ledger.js';
import { acquireLock, lockKey, releaseLock } from './db/lock.js';
import { readProgress } from './db/progress.js';
import { applyScript, timeoutsFor, type LedgerCreation, type Timeouts } from './db/scripts.js';
import { openSession, type ConnectionSettings, type Session } from './db/session.js';
import { loadCatalog, loadSingleFile, type Directories } from './io/loader.js';
import { applyNoTransaction, applyTransactional, revert, type RetryPolicy } from './run/apply.js';
import { interrupted, type RunContext } from './run/execute.js';

/** A server to connect to, or the embedded one with its data in `dir`. */
export type DatabaseTarget = ConnectionSettings | { readonly embedded: EmbeddedOptions };

export interface MigratorOptions {
  /** Default: the embedded server with its data in `<cwd>/.pgshift`. */
  readonly database?: DatabaseTarget;
  /** Where relative paths are resolved. Default: the process's working directory. */
  readonly cwd?: string;
  /** Default `migrations`. */
  readonly migrationsDir?: string;
  /** Default `rollbacks`. */
  readonly rollbacksDir?: string;
  /** The ledger table, optionally schema-qualified. Default `schema_migrations`. */
  readonly table?: string;
  /** How long to wait for another run's migration lock. Default 60. */
  readonly lockWaitSeconds?: number;
  /**
   * lock_timeout for migration statements, as PostgreSQL writes durations (`10s`, `500ms`; `0` for none).
   * Default `10s`: a migration waiting on a lock queues every other query on that table behind it.
   */
  readonly lockTimeout?: string;
  /** statement_timeout for migration statements. Default: the server's. */
  readonly statementTimeout?: string;
  /** How often a transactional migration stopped by a lock timeout is tried again. Default 3. */
  readonly lockRetries?: number;
  /** Wait before the first retry, doubled each time. Default 1000. */
  readonly lockRetryDelayMs?: number;
  /** Default: silent. */
  readonly logger?: Logger;
}

export interface CallOptions {
  /** Aborting cancels the running statement, rolls back its transaction and rejects with INTERRUPTED. */
  readonly signal?: AbortSignal;
}

export interface UpOptions extends CallOptions {
  /** Stop after this version. */
  readonly to?: number;
  /** Apply only this file, even out of order; nothing happens if it is applied with the same checksum. */
  readonly migration?: string;
  /** All pending migrations in one transaction, all or nothing. Refused when one is a no-transaction file. */
  readonly singleTransaction?: boolean;
}

export interface DownOptions extends CallOptions {
  /** How many applied migrations to revert, newest first. Default 1. */
  readonly steps?: number;
  /** Revert every applied version above this one. */
  readonly to?: number;
  readonly all?: boolean;
}

export interface RunResult {
  readonly migrations: readonly MigrationResult[];
}

export interface StatusResult {
  readonly entries: readonly StatusEntry[];
  /** Problems with the files themselves (bad names, duplicates, orphan rollbacks), reported but not fatal here. */
  readonly problems: readonly Problem[];
}

export interface Migrator {
  /** Applies pending migrations in order, each with its ledger row in one transaction, under the lock. */
  up(options?: UpOptions): Promise<RunResult>;
  /** Reverts applied migrations newest first, each rollback with its ledger row's deletion in one transaction. */
  down(options?: DownOptions): Promise<RunResult>;
  status(options?: CallOptions): Promise<StatusResult>;
  /** Every problem `up` would stop for, and more (script problems in all files). Empty when all is well. */
  validate(options?: CallOptions): Promise<readonly Problem[]>;
}

export function createMigrator(options: MigratorOptions = {}): Migrator {
  const logger = options.logger ?? silentLogger;
  const cwd = resolve(options.cwd ?? process.cwd());
  const dirs: Directories = {
    cwd,
    migrationsDir: options.migrationsDir ?? 'migrations',
    rollbacksDir: options.rollbacksDir ?? 'rollbacks',
  };
  const lockWaitMs = (options.lockWaitSeconds ?? 60) * 1000;
  const defaults: Timeouts = {
    lockTimeout: duration('lock timeout', options.lockTimeout ?? '10s'),
    ...(options.statementTimeout === undefined ? {} : { statementTimeout: duration('statement timeout', options.statementTimeout) }),
  };
  const retry: RetryPolicy = { retries: options.lockRetries ?? 3, firstDelayMs: options.lockRetryDelayMs ?? 1000 };
  const target = options.database ?? { embedded: { dir: join(cwd, '.pgshift') } };

  async function withSession<T>(signal: AbortSignal | undefined, work: (session: Session, table: LedgerTable) => Promise<T>): Promise<T> {
    let settings: ConnectionSettings;
    let stopServer = async (): Promise<void> => undefined;
    if ('embedded' in target) {
      const server = await startEmbedded(target.embedded, logger);
      settings = server.settings;
      stopServer = () => server.stop();
    } else {
      settings = target;
    }
    try {
      if (signal?.aborted) throw interrupted();
      const session = await openSession(settings, logger);
      try {
        return await work(session, resolveLedgerTable(options.table ?? DEFAULT_TABLE, session.info.currentSchema));
      } finally {
        await session.close().catch(() => undefined);
      }
    } finally {
      await stopServer();
    }
  }

  async function withLock<T>(session: Session, table: LedgerTable, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    const key = lockKey(table);
    await acquireLock(session, key, { waitMs: lockWaitMs, logger, signal });
    logger.debug('migration lock acquired', { table: table.display, pid: session.info.pid });
    try {
      return await work();
    } finally {
      await releaseLock(session, key).catch(() => undefined);
    }
  }

  function logDone(result: MigrationResult): void {
    logger.info(`${result.direction === 'up' ? 'applied' : 'reverted'} ${result.path} (${result.durationMs} ms)`, {
      version: result.version,
      durationMs: result.durationMs,
    });
  }

  return {
    async up(call = {}) {
      const catalog = await loadCatalog(dirs);
      const only = call.migration === undefined ? undefined : await loadOnly(dirs, call.migration);
      return withSession(call.signal, (session, table) =>
        withLock(session, table, call.signal, async () => {
          const history = await readHistory(session, table);
          const planned = planUp(catalog, history.rows, {
            ...(call.to === undefined ? {} : { to: call.to }),
            ...(only === undefined ? {} : { only }),
            ...(call.singleTransaction === undefined ? {} : { singleTransaction: call.singleTransaction }),
          });
          const context: RunContext = { session, table, logger, signal: call.signal };
          let createLedger: LedgerCreation | undefined = history.ledger.exists ? undefined : { schemaExists: history.ledger.schemaExists };
          const migrations: MigrationResult[] = [];
          const result = (file: SqlFile, durationMs: number): MigrationResult => {
            const done = { direction: 'up', version: file.version, name: file.name, path: file.path, durationMs } as const;
            migrations.push(done);
            logDone(done);
            return done;
          };
          if (call.singleTransaction && planned.length > 0) {
            const steps = planned.map(({ file, analysis }) => ({ file, timeouts: timeoutsFor(analysis.directives, defaults) }));
            const durationMs = await applyTransactional(context, applyScript(table, steps, createLedger), retry);
            for (const { file } of planned) result(file, durationMs);
          } else {
            for (const step of planned) {
              const timeouts = timeoutsFor(step.analysis.directives, defaults);
              const durationMs = step.analysis.directives.transaction
                ? await applyTransactional(context, applyScript(table, [{ file: step.file, timeouts }], createLedger), retry)
                : await applyNoTransaction(context, { planned: step, timeouts, createLedger });
              createLedger = undefined;
              result(step.file, durationMs);
            }
          }
          if (planned.length === 0) logger.info('nothing to apply');
          return { migrations };
        }),
      );
    },

    async down(call = {}) {
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, (session, table) =>
        withLock(session, table, call.signal, async () => {
          const history = await readHistory(session, table);
          const plan = planDown(catalog, history.rows, {
            ...(call.steps === undefined ? {} : { steps: call.steps }),
            ...(call.to === undefined ? {} : { to: call.to }),
            ...(call.all === undefined ? {} : { all: call.all }),
          });
          const context: RunContext = { session, table, logger, signal: call.signal };
          const migrations: MigrationResult[] = [];
          for (const step of plan) {
            const durationMs = await revert(context, step, timeoutsFor(step.analysis.directives, defaults));
            const done = { direction: 'down', version: step.version, name: step.name, path: step.rollback.path, durationMs } as const;
            migrations.push(done);
            logDone(done);
          }
          if (plan.length === 0) logger.info('nothing to revert');
          return { migrations };
        }),
      );
    },

    async status(call = {}) {
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, async (session, table) => {
        const history = await readHistory(session, table);
        return { entries: statusOf(catalog, history.rows), problems: catalog.problems };
      });
    },

    async validate(call = {}) {
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, async (session, table) => {
        try {
          return validationProblems(catalog, (await readHistory(session, table)).rows);
        } catch (error) {
          if (isPgshiftError(error) && error.problems.length > 0) return error.problems;
          throw error;
        }
      });
    },
  };
}

/** The ledger and the progress of unfinished no-transaction files. */
async function readHistory(session: Session, table: LedgerTable): Promise<{ ledger: LedgerState; rows: History }> {
  const ledger = await readLedger(session, table);
  const progress = ledger.exists ? await readProgress(session, table) : [];
  return { ledger, rows: { ledger: ledger.exists ? ledger.rows : [], progress } };
}

function duration(what: string, value: string): string {
  if (!DURATION.test(value)) {
    throw new PgshiftError('USAGE', `${what} ${JSON.stringify(value)} is not a duration`, {
      hint: 'write a number with an optional unit: 0 (no limit), 500ms, 10s, 2min, 1h',
    });
  }
  return value;
}

async function loadOnly(dirs: Directories, path: string): Promise<SqlFile> {
  const catalog: Catalog = buildCatalog([await loadSingleFile(dirs, path, 'migration')]);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  return catalog.migrations[0] as SqlFile;
}
