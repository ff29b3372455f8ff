/** pgshift's programmatic API. Importing it has no side effects: nothing connects, prints or reads the environment. */
export { createMigrator, createTestDatabase, migrateMany, startTestServer, targetsFromQuery } from './migrator.js';
export type { StartedTestServer } from './operations/test-server.js';
export type { LockHolderSeen, StatementProgress } from './core/statement-progress.js';
export type { TargetsQueryOptions } from './operations/targets-query.js';
export type {
  CallOptions,
  ProgressEvent,
  RunCallOptions,
  DatabaseTarget,
  DownOptions,
  BaselineOptions,
  LintOptions,
  LockScope,
  ManyCommand,
  PruneResult,
  TestDatabase,
  TestDatabaseCall,
  TestDatabaseOptions,
  ManyOptions,
  ManyResult,
  Target,
  TargetEvent,
  TargetOutcome,
  TargetResult,
  Migrator,
  MigratorOptions,
  Plan,
  PlannedStep,
  PlanOptions,
  RepairOptions,
  MigrationsResult,
  StatusResult,
  TraceOptions,
  UpOptions,
  VerifyOptions,
} from './migrator-types.js';
export type {
  AllowedTraceFinding,
  CatalogChange,
  FileTrace,
  HeldLock,
  LockMode,
  RelationSize,
  StatementTrace,
  TracedRelation,
  TraceFileReport,
  TraceFinding,
  TraceHold,
  TraceReport,
} from './core/trace-types.js';
export type { Finding } from './core/finding.js';
export type { VerifyOutcome, VerifyResult } from './executor/verify.js';
export type { RepairChange, RepairKind, RepairResult } from './executor/repair.js';
export type { LintConfig, LintFinding, LintResult, Severity } from './lint/lint.js';
export { RULES } from './lint/rules/index.js';
export type { RuleId, RuleInfo } from './lint/rules/index.js';
export { PgshiftError, isPgshiftError } from './core/errors.js';
export type { ErrorCode, Problem, ProblemCode, SqlFailure } from './core/errors.js';
export type { Logger, LogFields } from './core/logger.js';
export type { LedgerRow, MigrationResult, MigrationState, RepeatableResult, StatusEntry } from './core/types.js';
export type { RepeatableEntry, RepeatableState } from './core/plan-repeatables.js';
export type { ConnectionSettings, SslMode } from './db/settings.js';
export type { EmbeddedOptions } from './db/embedded.js';
export type { LockHolder } from './core/lock-holder.js';
