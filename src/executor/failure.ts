/**
 * Turns what the server said about a failed script into an error that names the file, line and column.
 */
import { defined } from '../core/defined.js';
import { PgshiftError, type ErrorCode, type SqlFailure } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { caretSnippet, indexOfServerPosition, lineColumnAt } from '../core/position.js';
import { scanSql } from '../core/sql-lexer.js';
import type { ScriptFile } from '../core/types.js';
import type { LedgerTable } from '../db/ledger.js';
import { lockLostAt } from '../db/lock.js';
import { progressTable } from '../db/progress.js';
import { repeatTable } from '../db/repeat-table.js';
import type { Script, ScriptPart } from '../db/wire-sql.js';
import { ServerError } from '../db/server-error.js';
import type { Session } from '../db/session.js';

export interface FailureContext {
  readonly session: Session;
  readonly table: LedgerTable;
  readonly logger: Logger;
}

/** What to call a failure inside a file, and what to tell the user to do about it. */
export interface FailureWording {
  readonly code: ErrorCode;
  readonly hint: string;
  /**
   * What is applied and recorded when the run stops here (an interrupt, a lost connection), where that is
   * not simply "nothing from this file": a no-transaction file commits statement by statement.
   */
  readonly stopped?: string;
  /**
   * What is applied and recorded, and where up resumes, when this script changed pgshift's ledger and its
   * transaction was rolled back, where that is not simply "nothing from this file" (a no-transaction file).
   */
  readonly ledgerChanged?: string;
}

export async function explainFailure(
  context: FailureContext,
  script: Script,
  error: ServerError,
  wording: FailureWording,
): Promise<PgshiftError> {
  const { fields } = error;
  const first = script.parts[0];
  if (!first) return new PgshiftError(wording.code, error.message, { hint: wording.hint, sql: { file: '', sqlState: error.fields.sqlState } });
  const scriptIndex = fields.position === undefined ? undefined : indexOfServerPosition(script.text, fields.position);
  const inPart = scriptIndex === undefined ? undefined : script.parts.find((part) => scriptIndex >= part.start && scriptIndex <= part.end);

  if (scriptIndex !== undefined && !inPart) {
    if (scriptIndex < first.start) {
      return new PgshiftError('MIGRATION_FAILED', `could not prepare the transaction for ${first.file.path} (creating the ledger table ${context.table.display}, setting timeouts): ${error.message}`, {
        hint: `the role needs CREATE on schema ${context.table.schema}, or pass --table with a schema it may write to; nothing was applied`,
        sql: describe(first.file.path, fields),
      });
    }
    const before = script.parts.filter((part) => part.end < scriptIndex).at(-1) ?? first;
    return ledgerTampered(context, before.file, error);
  }
  const ours = [context.table.name, progressTable(context.table).name, repeatTable(context.table).name];
  if (scriptIndex === undefined && fields.tableName !== undefined && ours.includes(fields.tableName)) {
    return ledgerTampered(context, first.file, error);
  }

  const located =
    inPart && scriptIndex !== undefined
      ? { part: inPart, fileIndex: scriptIndex - inPart.start + inPart.fileOffset }
      : await locateFailingStatement(context, script, fields.sqlState);
  const file = located?.part.file ?? first.file;
  const where = located ? lineColumnAt(file.text, located.fileIndex) : undefined;
  const files = distinctFiles(script);
  // Not found in a transaction of several files (an error at COMMIT: a deferred constraint or trigger): the
  // transaction is what failed, not its first file.
  const unplaced = located === undefined && files.length > 1;
  const prefix = where ? `${file.path}:${where.line}:${where.column}` : unplaced ? scriptLabel(script) : file.path;
  return new PgshiftError(wording.code, `${prefix}: ${error.message}`, {
    hint: unplaced ? `${UNPLACED_HINT}; run up without --single-transaction to have the file named` : wording.hint,
    sql: {
      ...describe(file.path, fields),
      ...(where && located ? { line: where.line, column: where.column, snippet: caretSnippet(file.text, located.fileIndex) } : {}),
    },
  });
}

const UNPLACED_HINT =
  'the transaction was rolled back: none of its files was applied and no ledger row was written. The server did not say which file failed (an error at COMMIT comes from a deferred constraint or trigger)';

function distinctFiles(script: Script): string[] {
  return [...new Set(script.parts.map((part) => part.file.path))];
}

/** What a script runs, for messages: its file, or the files of one --single-transaction transaction. */
export function scriptLabel(script: Script): string | undefined {
  const files = distinctFiles(script);
  return files.length > 1 ? `the ${files.length} files of one transaction (${files[0]} to ${files.at(-1)})` : files[0];
}

export const LEDGER_TAMPERED_HINT = "a migration must not touch pgshift's ledger; its transaction was rolled back and nothing was applied";

function ledgerTampered(context: FailureContext, file: ScriptFile, error: ServerError): PgshiftError {
  return new PgshiftError(
    'LEDGER_TAMPERED',
    `${file.path} dropped or altered pgshift's ledger table ${context.table.display}, so its ledger row could not be written (${error.message})`,
    {
      hint: LEDGER_TAMPERED_HINT,
      sql: describe(file.path, error.fields),
    },
  );
}

function describe(path: string, fields: ServerError['fields']): SqlFailure {
  return {
    file: path,
    sqlState: fields.sqlState,
    ...defined({ detail: fields.detail, serverHint: fields.hint, where: fields.where }),
  };
}

/**
 * Errors found while executing (a constraint violation, a division by zero, a RAISE) carry no position,
 * and a multi-statement message does not say which statement failed. Replaying the script's files one
 * marked statement at a time in a transaction that is always rolled back finds it; the markers are rows
 * streamed back before each statement runs. Not tried for errors a replay would only repeat slowly or that
 * depend on timing: lost connections, cancels and timeouts, deadlocks, exhausted resources. A lock
 * timeout is replayed with a short lock_timeout: the statement that waits is the one that timed out.
 */
const NOT_REPLAYED = /^(08|40|53|57|58|XX)/;

async function locateFailingStatement(
  context: FailureContext,
  script: Script,
  sqlState: string,
): Promise<{ part: ScriptPart; fileIndex: number } | undefined> {
  const marks = script.parts.flatMap((part) => {
    if (part.oneStatement) return [{ part, start: part.fileOffset, end: part.fileOffset + (part.end - part.start) }];
    return scanSql(part.file.text).statements.map((statement) => ({ part, start: statement.start, end: statement.end }));
  });
  const only = marks[0];
  if (marks.length === 1 && only) return { part: only.part, fileIndex: only.start };
  if (marks.length === 0 || NOT_REPLAYED.test(sqlState)) return undefined;

  const replay = `BEGIN;\nSET LOCAL lock_timeout = '200ms';\n${marks
    .map((mark, index) => `SELECT ${index} AS pgshift_statement;\n${mark.part.file.text.slice(mark.start, mark.end)}\n;\n`)
    .join('')}ROLLBACK;\n`;
  let last: number | undefined;
  context.logger.debug('locating the failing statement by replaying the script in a rolled-back transaction');
  try {
    await context.session.execute(replay, (row) => {
      const marker = row['pgshift_statement'];
      if (typeof marker === 'number') last = marker;
    });
    return undefined;
  } catch (error) {
    await context.session.rollback();
    const mark = last === undefined ? undefined : marks[last];
    if (!(error instanceof ServerError) || error.fields.sqlState !== sqlState || !mark) return undefined;
    return { part: mark.part, fileIndex: mark.start };
  }
}

/** `where`: when it was found lost, "before FILE" or "while FILE ran" (the guard's detail). */
export function lockLost(where: string | undefined, stopped = 'nothing from that file was applied'): PgshiftError {
  return new PgshiftError('LOCK_LOST', `the migration lock was lost ${where ?? 'before the next migration'}: this database session no longer holds it`, {
    hint: `${stopped}. A transaction-mode pooler (PgBouncer pool_mode=transaction, some cloud proxies) sends each transaction to any backend, so a session lock cannot work through it, and nothing in the protocol shows that a pooler is there: use --lock transaction through it (or connect pgshift directly to the server or to a session-mode pool). A migration that ran pg_advisory_unlock_all() does the same`,
  });
}

/**
 * A server error from one of pgshift's own statements, not from a migration file: said as pgshift's error,
 * never as an unexpected crash with a stack trace.
 */
export function ownStatementFailure(error: ServerError, table: LedgerTable): PgshiftError {
  // pgshift's own statements guard the lock too (a no-transaction file's closing transaction).
  const lost = lockLostAt(error);
  if (lost) return lockLost(lost.where);
  const privilege = error.fields.sqlState === '42501';
  return new PgshiftError('DATABASE_ERROR', `the database refused a statement pgshift sends itself: ${error.message} (SQLSTATE ${error.fields.sqlState})`, {
    hint: privilege
      ? `the role needs SELECT, INSERT, UPDATE and DELETE on the ledger ${table.display} and on ${progressTable(table).display}, and CREATE on their schema for the first run`
      : 'nothing from the migration files ran in this statement; check the server log for more, and run the command again',
    cause: error,
  });
}
