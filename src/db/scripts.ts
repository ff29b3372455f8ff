/**
 * The exact text sent for each migration: one simple-protocol message holding the transaction, the file and
 * its ledger statement, so a migration costs one round trip and commits with its ledger row or not at all.
 * A dry run prints these same texts.
 */
import type { SqlFile } from '../core/types.js';
import { createLedgerSql, deleteLedgerRowSql, insertLedgerRowSql, type LedgerTable } from './ledger.js';

export interface Script {
  readonly text: string;
  readonly file: SqlFile;
  /** Where the file's own text starts inside `text`, to map server error positions back to the file. */
  readonly fileStart: number;
}

export interface LedgerCreation {
  readonly schemaExists: boolean;
}

export function applyScript(table: LedgerTable, file: SqlFile, createLedger?: LedgerCreation): Script {
  const head = `BEGIN;\n${createLedger ? createLedgerSql(table, createLedger) : ''}`;
  return wrap(head, file, insertLedgerRowSql(table, file));
}

export function revertScript(table: LedgerTable, rollback: SqlFile, version: number): Script {
  return wrap('BEGIN;\n', rollback, deleteLedgerRowSql(table, version));
}

/**
 * The newline and semicolon after the file end its last statement even when the file's last line is a
 * -- comment or lacks a semicolon.
 */
function wrap(head: string, file: SqlFile, ledgerStatement: string): Script {
  return { text: `${head}${file.text}\n;\n${ledgerStatement}COMMIT;\n`, file, fileStart: head.length };
}
