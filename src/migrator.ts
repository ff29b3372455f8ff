/**
 * The programmatic API and the one place where files, planner, ledger, lock and executor are put together.
 * The CLI is a thin layer over this; nothing here prints, exits or reads the environment.
 */
import { basename, dirname, join, relative, resolve } from 'node:path';
import type {
  DownOptions,
  Migrator,
  MigratorOptions,
  UpOptions,
} from './api.js';
import { buildCatalog, type Catalog } from './core/catalog.js';
import { failValidation, isPgshiftError, PgshiftError, type Problem } from './core/errors.js';
import { silentLogger } from './core/logger.js';
import { durationProblem } from './core/directives.js';
import { checkNumber } from './core/numbers.js';
import { scaffold } from './core/scaffold.js';
import { quoteIdentifier } from './core/sql-quote.js';
import { analyzeScript, type ScriptAnalysis } from './core/script-checks.js';
import { readLintConfig } from './lint/config.js';
import { lintBeforeRun } from './lint/gate.js';
import { lintFiles } from './lint/lint.js';
import { checkSyntax, type CheckedFile } from './lint/syntax.js';
import { checkNumbers } from './config/call-options.js';
import { planBaseline, planDown, planUp, validationProblems } from './config/planning.js';
import type { History } from './core/ledger-problems.js';
import type { DownStep } from './core/plan-down.js';
import type { PlannedMigration } from './core/plan-up.js';
import { statusOf } from './core/status.js';
import type { MigrationResult, SqlFile } from './core/types.js';
import { startEmbedded } from './db/embedded.js';
import { checkLedgerName, checkSchemaName, DEFAULT_TABLE, PROVENANCE_SETTINGS, readLedger, resolveLedgerTable, type LedgerState, type LedgerTable } from './db/ledger.js';
import { acquireLock, lockHolder, lockKey, lockSql, releaseLock } from './db/lock.js';
import { readProgress } from './db/progress.js';
import { applyScript, baselineSql, noTransactionScript, revertText, timeoutsFor, type LedgerSetup, type Timeouts } from './db/scripts.js';
import { openSession } from './db/connect.js';
import { ServerError } from './db/server-error.js';
import type { Session } from './db/session.js';
import type { ConnectionSettings } from './db/settings.js';
import { connectedTarget } from './db/target.js';
import { commitOf, folderCommits, type FolderCommits } from './io/git.js';
import { loadCatalog, loadSingleFile, writeNewFiles, type Directories } from './io/loader.js';
import { PGSHIFT_VERSION } from './version.js';
import { applyNoTransaction, applyTransactional, revert, type RetryPolicy } from './run/apply.js';
import { interrupted, type RunContext } from './run/execute.js';
import { ownStatementFailure } from './run/failure.js';
import { repairLedger } from './run/repair.js';
import { needsScratch, verifyInScratch, verifyInTransaction, type VerifyPlan, type VerifyTarget } from './run/verify.js';

export function createMigrator(options: MigratorOptions = {}): Migrator {
  const logger = options.logger ?? silentLogger;
  const cwd = resolve(options.cwd ?? process.cwd());
  const dirs: Directories = {
    cwd,
    migrationsDir: options.migrationsDir ?? 'migrations',
    rollbacksDir: options.rollbacksDir ?? 'rollbacks',
  };
  checkNumber('lockWaitSeconds', options.lockWaitSeconds, 'seconds');
  checkNumber('connectWaitSeconds', options.connectWaitSeconds, 'seconds');
  checkNumber('lockRetries', options.lockRetries, 'count');
  const lockWaitMs = (options.lockWaitSeconds ?? 60) * 1000;
  const defaults: Timeouts = {
    lockTimeout: duration('--lock-timeout', options.lockTimeout ?? '10s'),
    ...(options.statementTimeout === undefined ? {} : { statementTimeout: duration('--statement-timeout', options.statementTimeout) }),
  };
  const retry: RetryPolicy = { retries: options.lockRetries ?? 3, firstDelayMs: options.lockRetryDelayMs ?? 1000 };
  const target = options.database ?? { embedded: { dir: join(cwd, '.pgshift') } };
  checkLedgerName(options.table ?? DEFAULT_TABLE);
  if (options.schema !== undefined) checkSchemaName(options.schema);

  /** The settings ledger rows take their pgshift version from. */
  async function provenance(): Promise<Record<string, string>> {
    return { [PROVENANCE_SETTINGS.version]: PGSHIFT_VERSION };
  }

  /**
   * The files of a run that may record migrations, each carrying the commit its ledger row will name; git
   * runs while the files are read.
   */
  async function loadForWrite(): Promise<{ catalog: Catalog; commits: FolderCommits }> {
    const [catalog, commits] = await Promise.all([loadCatalog(dirs), folderCommits(resolve(cwd, dirs.migrationsDir))]);
    return { catalog: { ...catalog, migrations: catalog.migrations.map((file) => withCommit(file, commits)) }, commits };
  }

  /** Parses the files a command would run; a parse error stops it with nothing run. */
  async function parsedOrFail(files: ReadonlyArray<{ file: SqlFile; analysis: ScriptAnalysis }>): Promise<CheckedFile[]> {
    const { checked, problems } = await checkSyntax(files, logger);
    if (problems.length > 0) failValidation(problems);
    return checked;
  }

  /** `writes`: the run may write ledger rows, so the session carries the provenance they record. */
  async function withSession<T>(
    signal: AbortSignal | undefined,
    work: (session: Session, table: LedgerTable, settings: ConnectionSettings) => Promise<T>,
    writes?: Promise<Record<string, string>>,
  ): Promise<T> {
    const parameters: Record<string, string> = {
      ...(writes ? await writes : {}),
      // A startup parameter: the session starts in the schema, at no extra round trip.
      ...(options.schema === undefined ? {} : { search_path: quoteIdentifier(options.schema) }),
    };
    let settings: ConnectionSettings;
    let stopServer = async (): Promise<void> => undefined;
    if ('embedded' in target) {
      const server = await startEmbedded(target.embedded, logger);
      settings = { ...server.settings, origin: 'default (no database configured: the embedded server)' };
      stopServer = () => server.stop();
    } else {
      settings = target;
    }
    try {
      if (signal?.aborted) throw interrupted();
      const session = await openSession(settings, logger, { waitSeconds: options.connectWaitSeconds ?? 0, signal, parameters });
      const connected = connectedTarget(settings, session.info);
      logger.info(connected.message, connected.fields);
      let table: LedgerTable | undefined;
      try {
        table = resolveLedgerTable(options.table ?? DEFAULT_TABLE, options.schema ?? session.info.currentSchema);
        if (writes && options.schema !== undefined && session.info.currentSchema === null) {
          await session.execute(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
        }
        return await work(session, table, settings);
      } catch (caught) {
        const error = caught instanceof ServerError && table ? ownStatementFailure(caught, table) : caught;
        // Whatever failed from here on failed in this database: the message says which one.
        if (isPgshiftError(error)) error.target ??= connected.fields.target;
        throw error;
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

  async function prepareUp(session: Session, table: LedgerTable, catalog: Catalog, call: UpOptions & { skipUnwritten?: boolean }, commits?: FolderCommits) {
    const loaded = call.migration === undefined ? undefined : await loadOnly(dirs, call.migration);
    const only = loaded && commits ? withCommit(loaded, commits) : loaded;
    const history = await readHistory(session, table);
    const planned = planUp(catalog, history.rows, {
      ...(call.to === undefined ? {} : { to: call.to }),
      ...(only === undefined ? {} : { only }),
      ...(call.singleTransaction === undefined ? {} : { singleTransaction: call.singleTransaction }),
      ...(call.skipUnwritten === undefined ? {} : { skipUnwritten: call.skipUnwritten }),
    });
    const createLedger = ledgerSetup(history.ledger);
    return { planned, createLedger };
  }

  /** prepareUp, then the parse every file to run must pass, then lint on the same parse (unless turned off). */
  async function checkedUp(session: Session, table: LedgerTable, catalog: Catalog, call: UpOptions, commits?: FolderCommits) {
    const { planned, createLedger } = await prepareUp(session, table, catalog, call, commits);
    const checked = await parsedOrFail(planned);
    const findings = call.lint === false ? [] : await lintBeforeRun(checked, { cwd, logger, strict: call.strict === true });
    return { planned, createLedger, findings };
  }

  async function prepareDown(session: Session, table: LedgerTable, catalog: Catalog, call: DownOptions): Promise<DownStep[]> {
    const history = await readHistory(session, table);
    const steps = planDown(catalog, history.rows, {
      ...(call.steps === undefined ? {} : { steps: call.steps }),
      ...(call.to === undefined ? {} : { to: call.to }),
      ...(call.all === undefined ? {} : { all: call.all }),
    });
    await parsedOrFail(steps.map((step) => ({ file: step.rollback, analysis: step.analysis })));
    return steps;
  }

  async function runUp(context: RunContext, planned: readonly PlannedMigration[], createLedger: LedgerSetup | undefined, single: boolean) {
    const migrations: MigrationResult[] = [];
    const record = (file: SqlFile, durationMs: number): void => {
      const done = { direction: 'up', version: file.version, name: file.name, path: file.path, durationMs } as const;
      migrations.push(done);
      logDone(done);
    };
    // The time logged is the one the ledger row records: one measured number.
    if (single && planned.length > 0) {
      const recorded = await applyTransactional(context, applyScript(context.table, planned.map(applyStep), createLedger), retry);
      for (const { file } of planned) record(file, recorded.get(file.version) ?? 0);
    } else {
      let create = createLedger;
      for (const step of planned) {
        const timeouts = timeoutsFor(step.analysis.directives, defaults);
        const durationMs = step.analysis.directives.transaction
          ? ((await applyTransactional(context, applyScript(context.table, [applyStep(step)], create), retry)).get(step.file.version) ?? 0)
          : await applyNoTransaction(context, { planned: step, timeouts, createLedger: create });
        create = undefined;
        record(step.file, durationMs);
      }
    }
    if (planned.length === 0) logger.info('nothing to apply');
    return migrations;
  }

  async function runDown(context: RunContext, steps: readonly DownStep[]) {
    const migrations: MigrationResult[] = [];
    for (const step of steps) {
      const durationMs = await revert(context, step, timeoutsFor(step.analysis.directives, defaults));
      const done = { direction: 'down', version: step.version, name: step.name, path: step.rollback.path, durationMs } as const;
      migrations.push(done);
      logDone(done);
    }
    if (steps.length === 0) logger.info('nothing to revert');
    return migrations;
  }

  function applyStep({ file, analysis }: PlannedMigration) {
    return { file, timeouts: timeoutsFor(analysis.directives, defaults) };
  }

  /** A dry run takes the migration lock the way the run does, so that psql passes the scripts' lock guards. */
  function locked(table: LedgerTable, sql: string): string {
    const key = lockKey(table);
    return sql === '' ? '' : `${lockSql(key, true)}\n${sql}\n${lockSql(key, false)}`;
  }

  /** The dry run's text: the same builders the run uses, headed by a comment naming each file. */
  function upSql(table: LedgerTable, planned: readonly PlannedMigration[], createLedger: LedgerSetup | undefined, single: boolean): string {
    if (planned.length === 0) return '';
    const header = (step: PlannedMigration): string => `-- ${step.file.path} (version ${step.file.version})\n`;
    if (single) return `${planned.map(header).join('')}${applyScript(table, planned.map(applyStep), createLedger).text}`;
    let create = createLedger;
    return planned
      .map((step) => {
        const timeouts = timeoutsFor(step.analysis.directives, defaults);
        const text = step.analysis.directives.transaction
          ? applyScript(table, [applyStep(step)], create).text
          : noTransactionScript(table, step.file, step.analysis.statements, step.progress?.statementHashes.length ?? 0, timeouts, create);
        create = undefined;
        return `${header(step)}${text}`;
      })
      .join('\n');
  }

  function downSql(table: LedgerTable, steps: readonly DownStep[]): string {
    return steps
      .map((step) => `-- ${step.rollback.path} (reverts version ${step.version})\n${revertText(table, step, timeoutsFor(step.analysis.directives, defaults))}`)
      .join('\n');
  }

  return {
    async up(call = {}) {
      checkNumbers(call);
      const writes = provenance();
      const { catalog, commits } = await loadForWrite();
      return withSession(call.signal, (session, table) =>
        withLock(session, table, call.signal, async () => {
          const { planned, createLedger } = await checkedUp(session, table, catalog, call, commits);
          const context: RunContext = { session, table, logger, signal: call.signal };
          return { migrations: await runUp(context, planned, createLedger, call.singleTransaction === true) };
        }),
        writes,
      );
    },

    async down(call = {}) {
      checkNumbers(call);
      const writes = provenance();
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, (session, table) =>
        withLock(session, table, call.signal, async () => {
          const steps = await prepareDown(session, table, catalog, call);
          return { migrations: await runDown({ session, table, logger, signal: call.signal }, steps) };
        }),
        writes,
      );
    },

    async plan(call) {
      if (call.direction !== 'redo') checkNumbers(call);
      const { catalog, commits } = await loadForWrite();
      return withSession(call.signal, async (session, table) => {
        if (call.direction === 'up') {
          const { planned, createLedger, findings } = await checkedUp(session, table, catalog, call, commits);
          return {
            direction: 'up',
            findings,
            steps: planned.map((step) => ({
              version: step.file.version,
              name: step.file.name,
              path: step.file.path,
              transaction: step.analysis.directives.transaction,
              ...(step.progress ? { resumeAt: step.progress.statementHashes.length + 1 } : {}),
            })),
            sql: locked(table, upSql(table, planned, createLedger, call.singleTransaction === true)),
          };
        }
        const steps = await prepareDown(session, table, catalog, call.direction === 'down' ? call : { steps: 1 });
        const reverts = steps.map((step) => ({
          version: step.version,
          name: step.name,
          path: step.rollback.path,
          transaction: step.analysis.directives.transaction,
        }));
        if (call.direction === 'down') return { direction: 'down', steps: reverts, findings: [], sql: locked(table, downSql(table, steps)) };
        const reapply = steps.map((step) => redoMigration(catalog, step));
        return {
          direction: 'redo',
          findings: [],
          steps: [...reverts, ...reapply.map(({ file, analysis }) => ({ version: file.version, name: file.name, path: file.path, transaction: analysis.directives.transaction }))],
          sql: locked(table, `${downSql(table, steps)}\n${upSql(table, reapply, undefined, false)}`),
        };
      });
    },

    async redo(call = {}) {
      const writes = provenance();
      const { catalog } = await loadForWrite();
      return withSession(call.signal, (session, table) =>
        withLock(session, table, call.signal, async () => {
          const steps = await prepareDown(session, table, catalog, { steps: 1 });
          const [step] = steps;
          if (!step) throw new PgshiftError('USAGE', 'redo: no migration is applied', { hint: 'run up first' });
          const context: RunContext = { session, table, logger, signal: call.signal };
          const reverted = await runDown(context, steps);
          return { migrations: [...reverted, ...(await runUp(context, [redoMigration(catalog, step)], undefined, false))] };
        }),
        writes,
      );
    },

    async verify(call = {}) {
      const catalog = await loadCatalog(dirs);
      if (catalog.problems.length > 0) failValidation(catalog.problems);
      const only = call.migration === undefined ? undefined : await loadOnly(dirs, call.migration);
      return withSession(call.signal, async (session, table, settings) => {
        const history = await readHistory(session, table);
        const applied = new Set(history.rows.ledger.map((row) => row.version));
        const target = (migration: SqlFile): VerifyTarget => ({ migration, rollback: catalog.rollbacks.get(migration.version) });
        const appliedFiles = catalog.migrations.filter((file) => applied.has(file.version));
        let plan: VerifyPlan;
        let scratch = call.scratch === true;
        if (call.all) {
          plan = { base: [], targets: catalog.migrations.map(target) };
          scratch = true;
        } else if (only && applied.has(only.version)) {
          // Already applied here: rebuilt up to just before it in a scratch database.
          plan = { base: catalog.migrations.filter((file) => file.version < only.version), targets: [target(only)] };
          scratch = true;
        } else {
          const planned = planUp(catalog, history.rows, only ? { only } : {});
          plan = { base: appliedFiles, targets: planned.map((step) => target(step.file)) };
        }
        const context: RunContext = { session, table, logger, signal: call.signal };
        const results =
          scratch || needsScratch(plan.targets)
            ? await verifyInScratch(context, settings, plan, logger)
            : await verifyInTransaction(context, plan.targets);
        for (const result of results) logger.info(`verify ${result.path}: ${result.outcome}`, { version: result.version, problems: result.problems });
        return results;
      });
    },

    async lint(call = {}) {
      const config = await readLintConfig(cwd);
      if (call.paths && call.paths.length > 0) {
        const rollbacks = resolve(cwd, dirs.rollbacksDir);
        const raw = await Promise.all(
          call.paths.map((path) => loadSingleFile(dirs, path, resolve(cwd, path).startsWith(`${rollbacks}/`) ? 'rollback' : 'migration')),
        );
        const catalog = buildCatalog(raw);
        // Files named one by one need not come in pairs.
        const problems = catalog.problems.filter((problem) => problem.code !== 'ORPHAN_ROLLBACK');
        if (problems.length > 0) failValidation(problems);
        const files = [...catalog.migrations, ...catalog.rollbacks.values()];
        return lintFiles(files.map((file) => ({ file, analysis: analyzeScript(file) })), config);
      }
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, async (session, table) => {
        const { planned } = await prepareUp(session, table, catalog, { skipUnwritten: true });
        const rollbacks = [...catalog.rollbacks.values()].map((file) => ({ file, analysis: analyzeScript(file) }));
        return lintFiles([...planned, ...rollbacks], config);
      });
    },

    async repair(call = {}) {
      const { catalog } = await loadForWrite();
      // Like the other dry runs, a dry repair only reads: no lock, no provenance to record.
      return withSession(
        call.signal,
        (session, table) => {
          const run = () => repairLedger({ session, table, logger, cwd }, catalog, call);
          return call.dryRun ? run() : withLock(session, table, call.signal, run);
        },
        call.dryRun ? undefined : provenance(),
      );
    },

    async create(name) {
      const made = scaffold(await loadCatalog(dirs, { absentOk: true }), name);
      const written = await writeNewFiles(dirs, made.fileName, made.migration, made.rollback);
      for (const folder of written.createdFolders) logger.info(`created the folder ${folder}`);
      return written;
    },

    async baseline(call) {
      const writes = provenance();
      const { catalog } = await loadForWrite();
      return withSession(call.signal, (session, table) =>
        withLock(session, table, call.signal, async () => {
          const history = await readHistory(session, table);
          const files = planBaseline(catalog, history.rows, call.version);
          const create = ledgerSetup(history.ledger);
          await session.execute(baselineSql(table, files, create));
          const migrations = files.map((file) => ({ direction: 'up', version: file.version, name: file.name, path: file.path, durationMs: 0 }) as const);
          logger.info(`baseline: recorded ${files.length} migration(s) up to version ${call.version} as applied, without running them`);
          return { migrations };
        }),
        writes,
      );
    },

    async status(call = {}) {
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, async (session, table) => {
        const history = await readHistory(session, table);
        const holder = await lockHolder(session, lockKey(table));
        return { entries: statusOf(catalog, history.rows), problems: catalog.problems, ...(holder ? { lockHolder: holder } : {}) };
      });
    },

    async validate(call = {}) {
      const catalog = await loadCatalog(dirs);
      return withSession(call.signal, async (session, table) => {
        try {
          const history = (await readHistory(session, table)).rows;
          return [...validationProblems(catalog, history), ...(await syntaxProblems(catalog, history))];
        } catch (error) {
          if (isPgshiftError(error) && error.problems.length > 0) return error.problems;
          throw error;
        }
      });
    },
  };
}

/** The migration a redo applies again: the one its first step reverted (a missing file stops planDown first). */
function redoMigration(catalog: Catalog, step: DownStep): PlannedMigration {
  const file = catalog.migrations.find((migration) => migration.version === step.version) as SqlFile;
  return { file, analysis: analyzeScript(file) };
}

/** The commit a migration's ledger row will name, from the folder's git status. */
function withCommit(file: SqlFile, commits: FolderCommits): SqlFile {
  const commit = commitOf(commits, basename(file.path));
  return commit === undefined ? file : { ...file, gitCommit: commit };
}

/** What `validate` parses: every pending migration and every rollback (applied files ran already). */
async function syntaxProblems(catalog: Catalog, history: History): Promise<Problem[]> {
  const applied = new Set(history.ledger.map((row) => row.version));
  const files = [...catalog.migrations.filter((file) => !applied.has(file.version)), ...catalog.rollbacks.values()];
  return (await checkSyntax(files.map((file) => ({ file, analysis: analyzeScript(file) })), silentLogger)).problems;
}

/** What the run's first write must do to the ledger: nothing, create it, or add the provenance columns. */
function ledgerSetup(ledger: LedgerState): LedgerSetup | undefined {
  if (!ledger.exists) return { schemaExists: ledger.schemaExists };
  return ledger.provenance ? undefined : { addProvenance: true };
}

/** The ledger and the progress of unfinished no-transaction files. */
async function readHistory(session: Session, table: LedgerTable): Promise<{ ledger: LedgerState; rows: History }> {
  const ledger = await readLedger(session, table);
  const progress = ledger.exists ? await readProgress(session, table) : [];
  return { ledger, rows: { ledger: ledger.exists ? ledger.rows : [], progress } };
}

function duration(flag: string, value: string): string {
  const wrong = durationProblem(flag, value);
  if (wrong) throw new PgshiftError('USAGE', wrong.message, { hint: wrong.hint });
  return value;
}

/**
 * `--migration PATH` must name a file in the migrations folder: the ledger records only its version and
 * name, and every later run looks for that file there (MIGRATION_MISSING otherwise, with no way out).
 */
async function loadOnly(dirs: Directories, path: string): Promise<SqlFile> {
  const folder = resolve(dirs.cwd, dirs.migrationsDir);
  const inFolder = dirname(resolve(dirs.cwd, path));
  if (inFolder !== folder) {
    throw new PgshiftError('OUTSIDE_MIGRATIONS', `--migration ${path}: the file is not in the migrations folder ${dirs.migrationsDir}`, {
      hint: `move it into ${dirs.migrationsDir}/, or if ${relative(dirs.cwd, inFolder) || '.'} is where your migrations live, pass --migrations-dir ${relative(dirs.cwd, inFolder) || '.'} (and --rollbacks-dir for their rollbacks) to every command`,
    });
  }
  const catalog: Catalog = buildCatalog([await loadSingleFile(dirs, path, 'migration')]);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  return catalog.migrations[0] as SqlFile;
}
