/**
 * The programmatic API's types: what createMigrator takes, what each method takes and returns. Plain data;
 * the implementation is in operations/, wired up by migrator.ts.
 */
import type { PgshiftError, Problem } from './core/errors.js';
import type { LockHolder } from './core/lock-holder.js';
import type { Logger } from './core/logger.js';
import type { LockScope, ManyCommand, MigrationResult, RepeatableResult, StatusEntry } from './core/types.js';
import type { EmbeddedOptions } from './db/embedded.js';
import type { ConnectionSettings } from './db/settings.js';

export type { ConnectionSettings } from './db/settings.js';
import type { LintFinding, LintResult } from './lint/lint.js';
import type { RepairOptions as RepairRunOptions, RepairResult } from './executor/repair.js';
import type { VerifyResult } from './executor/verify.js';
import type { ScratchServer as ScratchSiteServer } from './executor/scratch-site.js';
import type { DriftItem, DriftReport } from './core/drift-report.js';
import type { TraceReport } from './core/trace-types.js';
import type { RepeatableEntry } from './core/plan-repeatables.js';
import type { StatementProgress } from './core/statement-progress.js';

export type { DriftItem, DriftReport, LockScope, ManyCommand, RepairResult, TraceReport, VerifyResult };

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
  /** Repeatable files (`NAME.sql`), applied after the migrations whenever their text changes. Default `repeatable`. */
  readonly repeatableDir?: string;
  /** The ledger table, optionally schema-qualified. Default `schema_migrations`. */
  readonly table?: string;
  /** The schema migrations run in (their search_path), created by up if missing; also the ledger's default schema. */
  readonly schema?: string;
  /** How long to wait for another run's migration lock. Default 60. */
  readonly lockWaitSeconds?: number;
  /** How long to keep trying to connect while the server is not up yet (a database waking up). Default 0. */
  readonly connectWaitSeconds?: number;
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
  /**
   * How runs exclude each other. `session` (default): one session advisory lock for the whole run.
   * `transaction`: for a transaction-mode pooler (PgBouncer), where consecutive transactions may reach
   * different server connections: a transaction-level advisory lock inside each migration's transaction,
   * which re-reads the ledger there; nothing depends on the session (no startup parameters, no session
   * lock), and no-transaction files are refused (NEEDS_SESSION). Only up, down, status, validate and drift
   * (and plan) run in this mode; the other methods refuse it (USAGE).
   */
  readonly lock?: LockScope;
  /**
   * Let `up` apply pending files numbered below the highest applied version (merged after a higher one ran),
   * in version order, instead of refusing them (OUT_OF_ORDER); `validate` then accepts them too. `down`
   * always reverts newest-applied first. Default: package.json's `"pgshift": { "outOfOrder": true }`, else false.
   */
  readonly outOfOrder?: boolean;
  /** Default: silent. */
  readonly logger?: Logger;
  /**
   * Keep what the parser and lint found in each file in `<cwd>/.pgshift/parse-cache-v1.json`, so that a file
   * checked before is not parsed again. Default true; the CLI turns it off with PGSHIFT_CACHE=off.
   */
  readonly parseCache?: boolean;
}


export interface CallOptions {
  /** Aborting cancels the running statement, rolls back its transaction and rejects with INTERRUPTED. */
  readonly signal?: AbortSignal;
}

/**
 * Where a run stands, for a tool that shows it: sent when a file starts, every second while a statement has
 * run for more than one, and when that statement ends (then without `statement`).
 */
export interface ProgressEvent {
  /** The run's files: finished, in all, time since the first began, and the time left at the rate of those finished. */
  readonly files: { readonly done: number; readonly total: number; readonly elapsedMs: number; readonly secondsLeft?: number };
  /** The file running now. */
  readonly file?: string;
  /** Its statement, once it has run for a second: what the server reports of it (a progress view, a lock wait) or its elapsed time. */
  readonly statement?: StatementProgress;
}

/** The calls that run migration files: up, down and redo. */
export interface RunCallOptions extends CallOptions {
  /**
   * Called with each ProgressEvent. Only then does pgshift watch a statement that runs longer than a second,
   * from a second, short-lived session with the run's credentials; nothing that session meets fails the run.
   */
  readonly onProgress?: (event: ProgressEvent) => void;
}

export interface UpOptions extends RunCallOptions {
  /** Stop after this version. */
  readonly to?: number;
  /** Apply only this file, even out of order; nothing happens if it is applied with the same checksum. */
  readonly migration?: string;
  /** All pending migrations in one transaction, all or nothing. Refused when one is a no-transaction file. */
  readonly singleTransaction?: boolean;
  /** Lint warnings stop the run (exit 3) instead of being logged. */
  readonly strict?: boolean;
  /** Lint the files before running them. Default true; false saves ~1 ms per file (bulk loads, test databases). */
  readonly lint?: boolean;
}

export interface LintOptions extends CallOptions {
  /** Files to lint; default: the pending migrations and every rollback (which needs the database). */
  readonly paths?: readonly string[];
}

export interface DownOptions extends RunCallOptions {
  /** How many applied migrations to revert, newest first. Default 1. */
  readonly steps?: number;
  /** Revert every applied version above this one. */
  readonly to?: number;
  readonly all?: boolean;
}

/**
 * What `up`, `down`, `redo` and `baseline` did. A call that fails partway rejects with a PgshiftError whose
 * `applied` lists, in this same shape, the migrations it completed (and recorded) before the failure.
 */
export interface MigrationsResult {
  readonly migrations: readonly MigrationResult[];
  /** up: the repeatable files it applied after the migrations. */
  readonly repeatables?: readonly RepeatableResult[];
}

/** `plan`: what `up` or `down` would do, without doing it. */
export type PlanOptions =
  | ({
      readonly direction: 'up';
      /**
       * Plan without a database, for a pull request's review: every migration file this git commit (a branch,
       * tag or sha) has counts as applied with its text there, so the files added since are pending. The plan's
       * `sql` is empty: what would be sent depends on the database.
       */
      readonly baseRef?: string;
      /**
       * Default true: lint findings that would stop up (a rule set to "error", any under `strict`) stop the
       * plan too. false: they are returned with the others, for a review that lists them all.
       */
      readonly findingsStop?: boolean;
    } & UpOptions)
  | ({ readonly direction: 'down' } & DownOptions)
  | ({ readonly direction: 'redo' } & CallOptions);

export interface PlannedStep {
  readonly version: number;
  readonly name: string;
  /** The migration (up) or rollback (down) file. */
  readonly path: string;
  /** False for a no-transaction file. */
  readonly transaction: boolean;
  /** For a partly applied no-transaction file: the 1-based statement it resumes at. */
  readonly resumeAt?: number;
  /** The file's text, as the run sends it (no BOM, LF line ends). */
  readonly text: string;
}

export interface Plan {
  readonly direction: 'up' | 'down' | 'redo';
  /** Lint findings for the files the plan would run. */
  readonly findings: readonly LintFinding[];
  readonly steps: readonly PlannedStep[];
  /** up: the repeatable files it would apply after the migrations (changed or new ones), in that order. */
  readonly repeatables?: ReadonlyArray<{ readonly name: string; readonly path: string; readonly text: string }>;
  /** Exactly the SQL the run would send, in order, as a script psql -v ON_ERROR_STOP=1 accepts. */
  readonly sql: string;
}

/**
 * Where a scratch database is built, for `drift` and for `verify`'s scratch checks. By default on the
 * target's server (same version and extensions), which refuses files that change the whole server (roles,
 * tablespaces, ALTER SYSTEM); `embedded` starts a fresh embedded server of its own and removes it after; a
 * server's settings build it there (itself refused those files if it turns out to be the target's server).
 */
export type ScratchServer = Exclude<ScratchSiteServer, 'target'>;

export interface ScratchOptions {
  readonly scratchServer?: ScratchServer;
}

export interface DriftOptions extends CallOptions, ScratchOptions {
  /** Also compare owners and grants (off by default: roles differ between environments). */
  readonly privileges?: boolean;
}

export interface VerifyOptions extends CallOptions, ScratchOptions {
  /** Every migration, from an empty scratch database. */
  readonly all?: boolean;
  /** Only this file (pending or applied). */
  readonly migration?: string;
  /** Check in a scratch database even when a rolled-back transaction would do. */
  readonly scratch?: boolean;
}

export interface TraceOptions extends CallOptions, ScratchOptions {
  /** Every migration, each on the schema the ones before it build, from an empty scratch database. */
  readonly all?: boolean;
  /** Only this file: pending, on the schema the applied ones build; applied, on the one the files before it build. */
  readonly migration?: string;
  /** Stop after this version, as `up` would. */
  readonly to?: number;
  /**
   * A lock that blocks writes on a table of the target at least this big is a finding: bytes, or a size
   * such as "10MB" (units kB, MB, GB, TB). Default 10MB. Sizes are read only from a configured target.
   */
  readonly big?: number | string;
  /**
   * Trace with no target, for a pull request's review (as PlanOptions.baseRef): the files this git commit has
   * are replayed and the ones added since traced, on a fresh embedded server of the trace's own, removed
   * after (or on `scratchServer` when it names a server). Nothing is weighed: there are no table sizes.
   */
  readonly baseRef?: string;
}

export interface BaselineOptions extends CallOptions {
  /** Every migration up to and including this version is recorded as applied, none is run. */
  readonly version: number;
}

/** `repair`: `force` records changes beyond comments and whitespace too; `dryRun` changes nothing. */
export interface RepairOptions extends CallOptions, RepairRunOptions {}

export interface StatusResult {
  readonly entries: readonly StatusEntry[];
  /** The repeatable files: applied, pending, changed (will run again) or missing (applied, the file gone). */
  readonly repeatables: readonly RepeatableEntry[];
  /** Problems with the files themselves (bad names, duplicates, orphan rollbacks), reported but not fatal here. */
  readonly problems: readonly Problem[];
  /** The session holding the migration lock now (another pgshift running), if any. */
  readonly lockHolder?: LockHolder;
}

export interface Migrator {
  /** Applies pending migrations in order, each with its ledger row in one transaction, under the lock. */
  up(options?: UpOptions): Promise<MigrationsResult>;
  /** Reverts applied migrations newest first, each rollback with its ledger row's deletion in one transaction. */
  down(options?: DownOptions): Promise<MigrationsResult>;
  status(options?: CallOptions): Promise<StatusResult>;
  /** Every problem `up` would stop for, and more (script problems in all files). Empty when all is well. */
  validate(options?: CallOptions): Promise<readonly Problem[]>;
  /** What up or down would run, as data and as SQL; connects to read the ledger, changes nothing, takes no lock. */
  plan(options: PlanOptions): Promise<Plan>;
  /** Reverts the newest applied migration and applies it again (for development). */
  redo(options?: RunCallOptions): Promise<MigrationsResult>;
  /** Records migrations up to a version as applied without running them, on a ledger with no rows. */
  baseline(options: BaselineOptions): Promise<MigrationsResult>;
  /**
   * Checks that each rollback undoes its migration (pending ones by default), comparing schema snapshots;
   * changes nothing. Returns one result per migration; `fail` results list the differences.
   */
  verify(options?: VerifyOptions): Promise<readonly VerifyResult[]>;
  /**
   * Compares the live schema with the one its applied migrations build in a scratch database; changes
   * nothing on the target. Throws VALIDATION_FAILED when an applied file changed or is missing.
   */
  drift(options?: DriftOptions): Promise<DriftReport>;
  /**
   * Runs the pending migrations (or `migration`, or `all`) statement by statement on a scratch copy of the
   * schema and reports what each locks, rewrites and validates, weighed by the target's table sizes; changes
   * nothing on the target, where it only reads catalogs on a read-only connection.
   */
  trace(options?: TraceOptions): Promise<TraceReport>;
  /** Lint findings for files (by default the pending migrations and all rollbacks); throws for syntax errors and bad suppressions. */
  lint(options?: LintOptions): Promise<LintResult>;
  /**
   * Records the current checksums of applied files that changed since they were applied, under the lock, in
   * one transaction. Changes beyond comments and whitespace, or whose applied text git cannot show, throw
   * REPAIR_REFUSED unless `force`; a dry run reports them and records nothing.
   */
  repair(options?: RepairOptions): Promise<RepairResult>;
  /** Writes the next migration and its rollback from the template; needs no database. `createdFolders`: the folders it had to create. */
  create(name: string): Promise<{ readonly migration: string; readonly rollback: string; readonly createdFolders: readonly string[] }>;
  /**
   * A new database with every migration applied, cloned from a template built once per set of files (and
   * server version, role, schema and ledger table) under a lock, so parallel workers build it once.
   */
  testDatabase(options?: TestDatabaseCall): Promise<TestDatabase>;
  /** Drops one test database (`pgshift_test_...`), by name or by its URL; returns its name. */
  dropTestDatabase(nameOrUrl: string, options?: CallOptions): Promise<string>;
  /**
   * Drops templates of other files, unfinished builds, clones older than `keepSeconds`, and clones left on
   * this machine by processes that are gone, unless kept.
   */
  pruneTestDatabases(options?: TestDatabaseCall): Promise<PruneResult>;
}

/** A database cloned from the test template: every migration applied, nothing else in it. */
export interface TestDatabase {
  readonly name: string;
  /** The full URL, password included when one was given: data for the code under test, not for a log. */
  readonly url: string;
  /** The URL with its password hidden, for messages. */
  readonly safeUrl: string;
  /** Drops it, ending any connection still open to it. */
  drop(): Promise<void>;
  /** Marks it kept (a failed test's), so that pruning leaves it until it is `keepSeconds` old. */
  keep(): Promise<void>;
}

export interface TestDatabaseCall extends CallOptions {
  /**
   * How long a clone, and at a template's build another files' template, is kept (seconds). Default 86400:
   * a day.
   */
  readonly keepSeconds?: number;
  /**
   * The database outlives this process (a shell script's, say): pruning removes it only once older than
   * `keepSeconds`. By default it is this process's, and removed as a leftover once the process is gone.
   */
  readonly detached?: boolean;
  /**
   * How many spare clones of the template to keep ready on the server (`pgshift_spare_...`): after each test
   * database, one more is copied in the background while the tests run, and the next test database is taken
   * from them by a rename instead of a copy. Default 0; createTestDatabase's default is 1 with `embedded: true`.
   */
  readonly spares?: number;
}

export interface PruneResult {
  /** What was dropped, each with why. */
  readonly dropped: ReadonlyArray<{ readonly name: string; readonly template: boolean; readonly reason: string }>;
  /** What should have gone and could not: in use (an old clone someone is connected to), or another role's. */
  readonly left: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
}

/** createTestDatabase's options: the migrator's, and the server to use. */
export interface TestDatabaseOptions extends MigratorOptions, TestDatabaseCall {
  /**
   * Start an embedded server for the test databases, with its data in `<cwd>/.pgshift/test-server`, shared by
   * the processes of the test run and stopped when the last of them ends. Refused together with `database`.
   */
  readonly embedded?: boolean;
}

/** One database, or one schema of a database, of a many-database run. */
export interface Target {
  /** Names the target in results and logs, and to a password command (as PGSHIFT_TARGET). */
  readonly name: string;
  readonly database: ConnectionSettings;
  /** Migrate this schema of the database, with its own ledger in it (as MigratorOptions.schema does). */
  readonly schema?: string;
}


export interface ManyOptions extends Omit<MigratorOptions, 'database'> {
  /** Default `up`. */
  readonly command?: ManyCommand;
  readonly up?: Omit<UpOptions, keyof CallOptions>;
  readonly down?: Omit<DownOptions, keyof CallOptions>;
  readonly drift?: Omit<DriftOptions, keyof CallOptions>;
  /** Targets run at once, each on its own connection. Default 4. */
  readonly parallel?: number;
  /** After the first failure no further target starts (those running finish). */
  readonly failFast?: boolean;
  /** Run the first `canary` targets on their own first; if any of them fails, no other target starts. */
  readonly canary?: number;
  /** Aborting stops every running target (its running migration rolled back) and starts no other. */
  readonly signal?: AbortSignal;
  /** Told as targets start, send files and finish; called synchronously, never awaited. */
  readonly onEvent?: (event: TargetEvent) => void;
}

export type TargetEvent =
  | { readonly type: 'started'; readonly name: string }
  | { readonly type: 'file'; readonly name: string; readonly path: string }
  | { readonly type: 'finished'; readonly result: TargetResult };

/** ok: done; failed: its error says why; interrupted: aborted while running; skipped: never started. */
export type TargetOutcome = 'ok' | 'failed' | 'interrupted' | 'skipped';

export interface TargetResult {
  readonly name: string;
  readonly outcome: TargetOutcome;
  /** Why a skipped target did not start. */
  readonly skippedBecause?: 'canary' | 'fail-fast' | 'interrupted';
  /** The highest applied version before and after the run: null when none; absent when not known (it never read the ledger). */
  readonly before?: number | null;
  readonly after?: number | null;
  /** What `up` or `down` applied or reverted, also when it then failed. */
  readonly migrations: readonly MigrationResult[];
  readonly durationMs: number;
  /** A failed or interrupted target's error, with its code; `validate` problems and drift also fail a target. */
  readonly error?: PgshiftError;
  readonly status?: StatusResult;
  readonly problems?: readonly Problem[];
  readonly drift?: DriftReport;
}

export interface ManyResult {
  /** In the order the targets were given. */
  readonly targets: readonly TargetResult[];
}
