/**
 * Turns what the server said about a failed script into an error that names the file, line and column.
 */
import { PgshiftError, type SqlFailure } from '../core/errors.js';
import { caretSnippet, indexOfServerPosition, lineColumnAt } from '../core/position.js';
import { scanSql } from '../core/sql-lexer.js';
import type { LedgerTable } from '../db/ledger.js';
import type { Script } from '../db/scripts.js';
import { ServerError, type Session } from '../db/session.js';
import type { Logger } from '../core/logger.js';

export type Direction = 'up' | 'down';

export interface FailureContext {
  readonly session: Session;
  readonly table: LedgerTable;
  readonly logger: Logger;
}

export async function explainFailure(
  context: FailureContext,
  script: Script,
  direction: Direction,
  error: ServerError,
): Promise<PgshiftError> {
  const { file } = script;
  const { fields } = error;
  const fileEnd = script.fileStart + file.text.length;
  const scriptIndex = fields.position === undefined ? undefined : indexOfServerPosition(script.text, fields.position);

  if (scriptIndex !== undefined && scriptIndex < script.fileStart) {
    return new PgshiftError('MIGRATION_FAILED', `could not create the ledger table ${context.table.display}: ${error.message}`, {
      hint: `the role needs CREATE on schema ${context.table.schema}, or pass --table with a schema it may write to; nothing was applied`,
      sql: describe(file.path, fields),
    });
  }
  const touchesLedger =
    (scriptIndex !== undefined && scriptIndex > fileEnd) ||
    (scriptIndex === undefined && fields.tableName === context.table.name);
  if (touchesLedger) {
    return new PgshiftError(
      'LEDGER_TAMPERED',
      `${file.path} dropped or altered the ledger table ${context.table.display}, so its ledger row could not be ${direction === 'up' ? 'written' : 'deleted'} (${error.message})`,
      {
        hint: 'a migration must not touch pgshift\'s ledger; its transaction was rolled back and nothing was applied',
        sql: describe(file.path, fields),
      },
    );
  }

  const fileIndex =
    scriptIndex !== undefined ? scriptIndex - script.fileStart : await locateFailingStatement(context, script, fields.sqlState);
  const where = fileIndex === undefined ? undefined : lineColumnAt(file.text, fileIndex);
  const prefix = where ? `${file.path}:${where.line}:${where.column}` : file.path;
  const code = direction === 'up' ? 'MIGRATION_FAILED' : 'ROLLBACK_FAILED';
  return new PgshiftError(code, `${prefix}: ${error.message}`, {
    hint:
      direction === 'up'
        ? 'the migration\'s transaction was rolled back: nothing from this file was applied and no ledger row was written; fix the file and run up again'
        : 'the rollback\'s transaction was rolled back: the migration is still applied and its ledger row kept; fix the rollback and run down again',
    sql: {
      ...describe(file.path, fields),
      ...(where && fileIndex !== undefined
        ? { line: where.line, column: where.column, snippet: caretSnippet(file.text, fileIndex) }
        : {}),
    },
  });
}

function describe(path: string, fields: ServerError['fields']): SqlFailure {
  return {
    file: path,
    sqlState: fields.sqlState,
    ...(fields.detail === undefined ? {} : { detail: fields.detail }),
    ...(fields.hint === undefined ? {} : { serverHint: fields.hint }),
    ...(fields.where === undefined ? {} : { where: fields.where }),
  };
}

/**
 * Errors found while executing (a constraint violation, a division by zero, a RAISE) carry no position,
 * and a multi-statement message does not say which statement failed. Replaying the file one marked
 * statement at a time in a transaction that is always rolled back finds it; the markers are rows streamed
 * back before each statement runs. Not tried for errors a replay would only repeat slowly or that depend on
 * timing: lost connections, cancels and timeouts, lock waits, deadlocks, exhausted resources.
 */
const NOT_REPLAYED = /^(08|40|53|55P03|57|58|XX)/;

async function locateFailingStatement(
  context: FailureContext,
  script: Script,
  sqlState: string,
): Promise<number | undefined> {
  if (NOT_REPLAYED.test(sqlState)) return undefined;
  const statements = scanSql(script.file.text).statements;
  if (statements.length < 2) return statements[0]?.start;

  const text = script.file.text;
  const replay = `BEGIN;\n${statements
    .map((statement, index) => `SELECT ${index} AS pgshift_statement;\n${text.slice(statement.start, statement.end)}\n;\n`)
    .join('')}ROLLBACK;\n`;
  let last: number | undefined;
  context.logger.debug('locating the failing statement by replaying the file in a rolled-back transaction', {
    file: script.file.path,
  });
  try {
    await context.session.execute(replay, (row) => {
      const marker = row['pgshift_statement'];
      if (typeof marker === 'number') last = marker;
    });
    return undefined;
  } catch (error) {
    await context.session.execute('ROLLBACK').catch(() => undefined);
    if (!(error instanceof ServerError) || error.fields.sqlState !== sqlState || last === undefined) return undefined;
    return statements[last]?.start;
  }
}
