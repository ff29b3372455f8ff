/**
 * The one error class pgshift throws. Every failure carries a stable `code`; the CLI maps codes to
 * exit statuses in one table (cli/exit-status.ts) and nothing else in the code base decides them.
 * The codes are arrays as well as types so that a test can hold the README's table of codes against them.
 */
import type { MigrationResult } from './types.js';

import { defined } from './defined.js';

/** Codes of problems found by validation. Each one makes `up`, `down` and `validate` stop with nothing run. */
export const PROBLEM_CODES = [
  /** A `*.sql` file whose name is not NNN_name.sql. Rename it (002_add_orders.sql). */
  'BAD_NAME',
  /** Two migrations (or two rollbacks) with the same version. Give one of them the next free number. */
  'DUPLICATE_VERSION',
  /** A rollback with no migration of its version. Rename it to the version it reverses, or delete it. */
  'ORPHAN_ROLLBACK',
  /** A file that is not valid UTF-8 (the line is given). Save it as UTF-8. */
  'INVALID_ENCODING',
  /** A migration or rollback file, or their folder, that cannot be read (a dangling link, a folder named *.sql). */
  'UNREADABLE_FILE',
  /** `--migration PATH` outside the migrations folder: its ledger row would name a file no later run can find. */
  'OUTSIDE_MIGRATIONS',
  /** A file still carrying `-- pgshift:unwritten`, or a rollback with no statements. */
  'UNWRITTEN',
  /**
   * An applied migration whose file changed since. Restore the file and put the change in a new migration,
   * or record a comment-only edit with `repair`.
   */
  'CHECKSUM_MISMATCH',
  /** A ledger (or progress) row whose migration file is gone. Restore the file from version control. */
  'MIGRATION_MISSING',
  /** A pending file numbered below the highest applied version. Renumber it, or apply it on purpose with `--migration`. */
  'OUT_OF_ORDER',
  /** A version to revert that has no rollback file: nothing was reverted. Write the rollback. */
  'ROLLBACK_MISSING',
  /** BEGIN, COMMIT, ROLLBACK or the like in a file: pgshift owns the transaction. Take them out. */
  'TRANSACTION_CONTROL',
  /** A psql meta-command (`\set`, `\i`) or `COPY ... FROM stdin`, which only psql understands. Rewrite it as SQL. */
  'PSQL_ONLY',
  /** A statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY, ...). Mark the file `-- pgshift:no-transaction`. */
  'NEEDS_NO_TRANSACTION',
  /** A session-level SET in a no-transaction file, which a resumed run would not see. */
  'SESSION_SETTING',
  /** A repeatable file marked `-- pgshift:no-transaction`: it runs in one transaction with its row. Put such statements in a migration. */
  'REPEATABLE_NO_TRANSACTION',
  /** A file ending inside a string, comment or dollar quote. Close it. */
  'UNTERMINATED',
  /** A `-- pgshift:` directive that is unknown or malformed. Fix its spelling or value. */
  'BAD_DIRECTIVE',
  /** A duration directive without a unit: held against pending files only (an applied one ran as it was), and the one `redo` runs again. */
  'DURATION_UNIT',
  /** A directive (or a misspelt one) after the file's first statement, where it is not read. Move it to the top; held against pending files and the one `redo` runs again. */
  'MISPLACED_DIRECTIVE',
  /**
   * A partly applied no-transaction file whose finished statements were edited (or which lost its directive).
   * Restore them; change only the failed statement or later ones, or revert with `down`.
   */
  'PARTIAL_CHANGED',
  /** A statement PostgreSQL's parser refuses. Fix it (or allow it with `-- pgshift:allow parse-error`). */
  'SYNTAX_ERROR',
  /** `pgshift lint`: a file too large for the lint parser. Keep bulk data apart from schema changes. */
  'LINT_SKIPPED',
  /** A `-- pgshift:allow` naming no rule, an unknown rule, or giving no reason. Name the rule and say why. */
  'LINT_SUPPRESSION',
  /** package.json `pgshift.lint.rules` names an unknown rule or severity. Use the names the hint lists. */
  'LINT_CONFIG',
  /** Lint findings under `--strict`, or of rules set to `error`; nothing was run. Make each change the safe way or allow it. */
  'LINT_FINDINGS',
  /** The ledger table exists but belongs to another tool (other columns). Keep pgshift's ledger elsewhere with `--table`. */
  'FOREIGN_LEDGER',
  /**
   * A no-transaction file under `--lock transaction`: through a transaction-mode pooler its statements and
   * their progress records could reach different server connections. Apply it connected to the server itself.
   */
  'NEEDS_SESSION',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

export const ERROR_CODES = [
  ...PROBLEM_CODES,
  /** One or more validation problems; they are listed in `problems`, each with its own code and hint. */
  'VALIDATION_FAILED',
  /** A bad flag, number, argument or combination of them (`--to` naming no migration, `baseline` on a used ledger). */
  'USAGE',
  /** Bad settings in the environment or .env (PGSSLMODE, PGPORT, PGSERVICE, PGCONNECT_TIMEOUT, PGSHIFT_LOG_LEVEL, PGSHIFT_WAIT, PGSHIFT_CACHE), a password command that hung, a parser that will not load. */
  'CONFIG_INVALID',
  /** No database configured where a throwaway embedded one must not be used (CI, NODE_ENV=production). Set DATABASE_URL. */
  'EMBEDDED_REFUSED',
  /** No database configured and the embedded server has no binaries for this platform. Set DATABASE_URL. */
  'EMBEDDED_UNAVAILABLE',
  /** The embedded server did not start (its log is named). Delete its data folder, or set DATABASE_URL. */
  'EMBEDDED_START_FAILED',
  /** A migration's statement failed; its transaction was rolled back (`sql` says where). Fix the file and run `up` again. */
  'MIGRATION_FAILED',
  /** A rollback's statement failed; its transaction was rolled back and the version stays applied. Fix the rollback. */
  'ROLLBACK_FAILED',
  /** A migration dropped or altered the ledger table, so its row could not be written. Take that statement out. */
  'LEDGER_TAMPERED',
  /** `repair` found changes it records only with --force (beyond comments and whitespace, or not visible). */
  'REPAIR_REFUSED',
  /**
   * `drift` could not rebuild the schema: an applied file fails on a database built from the migrations alone,
   * so it needs something they do not create (a role, an object made by hand). That is drift too; nothing compared.
   */
  'REPLAY_FAILED',
  /**
   * A migration or rollback deleted, updated, inserted or truncated rows of the ledger or its progress
   * table; its transaction was rolled back. Hint: take those statements out of the file.
   */
  'LEDGER_CHANGED',
  /**
   * A statement pgshift itself sent (reading or writing the ledger, taking the lock, a catalog query) was
   * refused by the server, typically for want of a privilege. Hint: what the role needs.
   */
  'DATABASE_ERROR',
  /**
   * A test database could not be cloned: another client is connected to its template (PostgreSQL copies only
   * a database nobody is using). The holders are named, never what they run. Close that connection.
   */
  'TEMPLATE_BUSY',
  /** Another run held the migration lock for all of `--lock-wait`. Wait for it (the holder is named), or raise the wait. */
  'LOCK_TIMEOUT',
  /** The session no longer holds the migration lock (a transaction-mode pooler: use `--lock transaction`). */
  'LOCK_LOST',
  /**
   * With `--lock transaction`, another run changed the ledger after this one read it, so `down` stopped
   * rather than revert something else; nothing of that file ran. Run the command again.
   */
  'LEDGER_MOVED',
  /** No connection could be made (refused, timed out, authentication, unknown database). Check the target and credentials. */
  'CONNECTION_FAILED',
  /** The connection dropped during a run; the server rolled back the running transaction. Run the command again. */
  'CONNECTION_LOST',
  /** SIGINT or SIGTERM: the running statement was cancelled and its transaction rolled back. Run the command again. */
  'INTERRUPTED',
  /** Several targets, and one or more of them failed: each is listed with its own code and exit status. */
  'TARGETS_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

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

/**
 * Marks pgshift's errors across copies of its code: a process that loads both the ES module and the CommonJS
 * build has two PgshiftError classes, and instanceof knows only its own.
 */
const BRAND = Symbol.for('pgshift.PgshiftError');

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
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * Stops with every problem at once, so a user fixes them in one pass instead of one per run. The code is
 * VALIDATION_FAILED however many there are, so callers branch on one code; each problem keeps its own.
 */
export function failValidation(problems: readonly Problem[]): never {
  const [first] = problems;
  const single = problems.length === 1 ? first : undefined;
  throw new PgshiftError('VALIDATION_FAILED', single ? single.message : `${problems.length} problems found in migrations and ledger`, {
    hint: single ? single.hint : 'fix each problem listed; nothing was run',
    problems,
  });
}

/**
 * A new error in place of a caught one, keeping the original as its cause and its `sql` and `hint` unless
 * `options` sets them: re-wrapping must never lose where a statement failed or what to do about it.
 */
export function rewrap(error: PgshiftError, code: ErrorCode, message: string, options: Omit<PgshiftErrorOptions, 'cause'> = {}): PgshiftError {
  return new PgshiftError(code, message, {
    ...defined({ hint: error.hint, sql: error.sql }),
    ...options,
    cause: error,
  });
}

export function isPgshiftError(value: unknown): value is PgshiftError {
  return value instanceof PgshiftError || (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true);
}
