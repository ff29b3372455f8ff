/**
 * The programmatic API and the one place where files, planner, ledger, lock and executor are put together.
 * The CLI is a thin layer over this; nothing here prints, exits or reads the environment.
 */
import { join, resolve } from 'node:path';
import { buildCatalog, type Catalog } from './core/catalog.js';
import { failValidation, isPgshiftError, type Problem } from './core/errors.js';
import { silentLogger, type Logger } from './core/logger.js';
import { planDown, planUp, statusOf, validationProblems } from './core/planner.js';
import type { LedgerRow, MigrationResult, SqlFile, StatusEntry } from './core/types.js';
import { startEmbedded, type EmbeddedOptions } from './db/embedded.js';
import { DEFAULT_TABLE, readLedger, resolveLedgerTable, type LedgerState, type LedgerTable } from './db/ledger.js';
import { acquireLock, lockKey, releaseLock } from './db/lock.js';
import { applyScript, revertScript, type LedgerCreation } from './db/scripts.js';
import { openSession, type ConnectionSettings, type Session } from './db/session.js';
import { loadCatalog, loadSingleFile, type Directories } from './io/loader.js';
import { interrupted, runScript, type RunContext } from './run/execute.js';

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

  async function runAll(
    session: Session,
    table: LedgerTable,
    signal: AbortSignal | undefined,
    steps: ReadonlyArray<{ file: SqlFile; version: number; script: (create: LedgerCreation | undefined) => ReturnType<typeof applyScript> }>,
    ledger: LedgerState,
    direction: 'up' | 'down',
  ): Promise<RunResult> {
    const context: RunContext = { session, table, logger, signal };
    let createLedger: LedgerCreation | undefined = ledger.exists ? undefined : { schemaExists: ledger.schemaExists };
    const migrations: MigrationResult[] = [];
    for (const step of steps) {
      const durationMs = await runScript(context, step.script(createLedger), direction);
      createLedger = undefined;
      migrations.push({ direction, version: step.version, name: step.file.name, path: step.file.path, durationMs });
      logger.info(`${direction === 'up' ? 'applied' : 'reverted'} ${step.file.path} (${durationMs} ms)`, {
        version: step.version,
        durationMs,
      });
    }
    if (steps.length === 0) logger.info(direction === 'up' ? 'nothing to apply' : 'nothing to revert');
    return { migrations };
  }

  return {
    async up(call = {}) {
      const catalog = await loadCatalog(dirs);
      const only = call.migration === undefined ? undefined : await loadOnly(dirs, call.migration);
      return withSession(call.signal, (session, table) =>
        withLock(session, table, call.signal, async () => {
          const ledger = await readLedger(session, table);
          const files = planUp(catalog, rowsOf(ledger), {
            ...(call.to === undefined ? {} : { to: call.to }),
            ...(only === undefined ? {} : { only }),
          });
          const steps = files.map((file) => ({
            file,
            version: file.version,
            script: (create: LedgerCreation | undefined) => applyScript(table, file, create),
          }));
          return runAll(session, table, call.signal, steps, ledger, 'up');
        }),
      );
    },

    async down(call = {}) {
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, (session, table) =>
        withLock(session, table, call.signal, async () => {
          const ledger = await readLedger(session, table);
          const plan = planDown(catalog, rowsOf(ledger), {
            ...(call.steps === undefined ? {} : { steps: call.steps }),
            ...(call.to === undefined ? {} : { to: call.to }),
            ...(call.all === undefined ? {} : { all: call.all }),
          });
          const steps = plan.map(({ applied, rollback }) => ({
            file: rollback,
            version: applied.version,
            script: () => revertScript(table, rollback, applied.version),
          }));
          return runAll(session, table, call.signal, steps, ledger, 'down');
        }),
      );
    },

    async status(call = {}) {
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, async (session, table) => {
        const ledger = await readLedger(session, table);
        return { entries: statusOf(catalog, rowsOf(ledger)), problems: catalog.problems };
      });
    },

    async validate(call = {}) {
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, async (session, table) => {
        try {
          return validationProblems(catalog, rowsOf(await readLedger(session, table)));
        } catch (error) {
          if (isPgshiftError(error) && error.problems.length > 0) return error.problems;
          throw error;
        }
      });
    },
  };
}

function rowsOf(ledger: LedgerState): readonly LedgerRow[] {
  return ledger.exists ? ledger.rows : [];
}

async function loadOnly(dirs: Directories, path: string): Promise<SqlFile> {
  const catalog: Catalog = buildCatalog([await loadSingleFile(dirs, path, 'migration')]);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  return catalog.migrations[0] as SqlFile;
}
