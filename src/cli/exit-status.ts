import type { ErrorCode } from '../core/errors.js';

/** The exit statuses README.md documents, in one table. `Record` makes the compiler refuse a code without one. */
const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  MIGRATION_FAILED: 1,
  ROLLBACK_FAILED: 1,
  LEDGER_TAMPERED: 1,
  LEDGER_CHANGED: 1,
  DATABASE_ERROR: 1,
  USAGE: 2,
  CONFIG_INVALID: 2,
  EMBEDDED_REFUSED: 2,
  EMBEDDED_UNAVAILABLE: 2,
  VALIDATION_FAILED: 3,
  BAD_NAME: 3,
  DUPLICATE_VERSION: 3,
  ORPHAN_ROLLBACK: 3,
  INVALID_ENCODING: 3,
  UNREADABLE_FILE: 3,
  OUTSIDE_MIGRATIONS: 3,
  UNWRITTEN: 3,
  CHECKSUM_MISMATCH: 3,
  MIGRATION_MISSING: 3,
  OUT_OF_ORDER: 3,
  ROLLBACK_MISSING: 3,
  TRANSACTION_CONTROL: 3,
  PSQL_ONLY: 3,
  NEEDS_NO_TRANSACTION: 3,
  SESSION_SETTING: 3,
  REPEATABLE_NO_TRANSACTION: 3,
  UNTERMINATED: 3,
  BAD_DIRECTIVE: 3,
  DURATION_UNIT: 3,
  MISPLACED_DIRECTIVE: 3,
  PARTIAL_CHANGED: 3,
  SYNTAX_ERROR: 3,
  LINT_SKIPPED: 3,
  LINT_SUPPRESSION: 3,
  LINT_CONFIG: 3,
  LINT_FINDINGS: 3,
  FOREIGN_LEDGER: 3,
  NEEDS_SESSION: 3,
  REPAIR_REFUSED: 3,
  REPLAY_FAILED: 3,
  LOCK_TIMEOUT: 4,
  LOCK_LOST: 4,
  TEMPLATE_BUSY: 4,
  LEDGER_MOVED: 4,
  CONNECTION_FAILED: 5,
  CONNECTION_LOST: 5,
  EMBEDDED_START_FAILED: 5,
  INTERRUPTED: 130,
  TARGETS_FAILED: 6,
};

export const EXIT_OK = 0;
/** Validation found problems (`validate`), the same status `up` stops with. */
export const EXIT_INVALID = 3;
export const EXIT_INTERRUPTED = 130;
/** Errors that are not pgshift's own (bugs, unexpected I/O failures) are reported as failures. */
export const EXIT_UNEXPECTED = 1;

export function exitStatusOf(code: ErrorCode): number {
  return EXIT_STATUS[code];
}
