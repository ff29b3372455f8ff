/**
 * The one error class pgshift throws. Every failure carries a stable `code`; the CLI maps codes to
 * exit statuses in one table (cli/exit-status.ts) and nothing else in the code base decides them.
 */
import type { MigrationResult } from './types.js';

/** Codes of problems found by validation. Each one makes `up`, `down` and `validate` stop with nothing run. */
export type ProblemCode =
  | 'BAD_NAME'
  | 'DUPLICATE_VERSION'
  | 'ORPHAN_ROLLBACK'
  | 'INVALID_ENCODING'
  /** A migration or rollback file, or their folder, that cannot be read (a dangling link, a folder named *.sql). */
  | 'UNREADABLE_FILE'
  /** `--migration PATH` outside the migrations folder: its ledger row would name a file no later run can find. */
  | 'OUTSIDE_MIGRATIONS'
  /** A file still carrying `-- pgshift:unwritten`, or a rollback with no statements. */
  | 'UNWRITTEN'
  | 'CHECKSUM_MISMATCH'
  | 'MIGRATION_MISSING'
  | 'OUT_OF_ORDER'
  | 'ROLLBACK_MISSING'
  | 'TRANSACTION_CONTROL'
  | 'PSQL_ONLY'
  | 'NEEDS_NO_TRANSACTION'
  /** A session-level SET in a no-transaction file, which a resumed run would not see. */
  | 'SESSION_SETTING'
  | 'UNTERMINATED'
  | 'BAD_DIRECTIVE'
  /** A duration directive without a unit: held against pending files only (an applied one ran as it was). */
  | 'DURATION_UNIT'
  | 'PARTIAL_CHANGED'
  | 'SYNTAX_ERROR'
  | 'LINT_SKIPPED'
  | 'LINT_SUPPRESSION'
  | 'LINT_CONFIG'
  | 'LINT_FINDINGS'
  | 'FOREIGN_LEDGER';

export type ErrorCode =
  | ProblemCode
  /** One or more validation problems; they are listed in `problems`. */
  | 'VALIDATION_FAILED'
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'EMBEDDED_REFUSED'
  | 'EMBEDDED_UNAVAILABLE'
  | 'EMBEDDED_START_FAILED'
  | 'MIGRATION_FAILED'
  | 'ROLLBACK_FAILED'
  | 'LEDGER_TAMPERED'
  /** `repair` found changes it records only with --force (beyond comments and whitespace, or not visible). */
  | 'REPAIR_REFUSED'
  /**
   * A migration or rollback deleted, updated, inserted or truncated rows of the ledger or its progress
   * table; its transaction was rolled back. Hint: take those statements out of the file.
   */
  | 'LEDGER_CHANGED'
  /**
   * A statement pgshift itself sent (reading or writing the ledger, taking the lock, a catalog query) was
   * refused by the server, typically for want of a privilege. Hint: what the role needs.
   */
  | 'DATABASE_ERROR'
  | 'LOCK_TIMEOUT'
  /** The session no longer holds the migration lock (a transaction-mode pooler, or the lock was released). */
  | 'LOCK_LOST'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_LOST'
  | 'INTERRUPTED';

/** A validation finding about one file or one ledger row. */
export interface Problem {
  readonly code: ProblemCode;
  readonly message: string;
  readonly hint: string;
  /** The file concerned, relative to the working directory, where there is one. */
  readonly file?: string;
  readonly version?: number;
  readonly line?: number;
}

/** Where in a migration file a failure happened, with what the server said about it. */
export interface SqlFailure {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** The offending line followed by a caret line, ready to print. */
  readonly snippet?: string;
  readonly sqlState?: string;
  readonly detail?: string;
  readonly serverHint?: string;
  /** The server's CONTEXT (for errors inside functions and DO blocks). */
  readonly where?: string;
}

export interface PgshiftErrorOptions {
  readonly hint?: string;
  readonly cause?: unknown;
  readonly problems?: readonly Problem[];
  readonly sql?: SqlFailure;
}

export class PgshiftError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly problems: readonly Problem[];
  readonly sql: SqlFailure | undefined;
  /** The database the failure happened in (user@host:port/database), added once a connection was made. */
  target: string | undefined;
  /**
   * The migrations the failed call completed before it failed (`up`, `down`, `redo`): applied or reverted,
   * and recorded so. Empty when it completed none. Set by the operation as the error passes through it.
   */
  applied: readonly MigrationResult[];

  constructor(code: ErrorCode, message: string, options: PgshiftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PgshiftError';
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
    this.sql = options.sql;
    this.target = undefined;
    this.applied = [];
  }
}

/** Stops with every problem at once, so a user fixes them in one pass instead of one per run. */
export function failValidation(problems: readonly Problem[]): never {
  const first = problems[0];
  const summary =
    problems.length === 1 && first ? first.message : `${problems.length} problems found in migrations and ledger`;
  throw new PgshiftError(problems.length === 1 && first ? first.code : 'VALIDATION_FAILED', summary, {
    hint: problems.length === 1 && first ? first.hint : 'fix each problem listed; nothing was run',
    problems,
  });
}

export function isPgshiftError(value: unknown): value is PgshiftError {
  return value instanceof PgshiftError;
}
