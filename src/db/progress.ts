/**
 * The progress table beside the ledger (`<ledger>_progress`): one row per no-transaction migration that has
 * started and not finished, holding the hashes of the statements it has completed. A finished migration
 * moves to the ledger in the same transaction that deletes its progress row.
 */
import { statementHash, type ScriptStatement } from '../core/file-analysis.js';
import { quoteLiteral } from '../core/sql-quote.js';
import type { ProgressRow, SqlFile } from '../core/types.js';
import { DERIVED_TABLE_SUFFIXES, tableNamed, type LedgerTable } from './ledger.js';
import { ServerError } from './server-error.js';
import type { Session } from './session.js';

export function progressTable(ledger: LedgerTable): LedgerTable {
  return tableNamed(ledger.schema, `${ledger.name}${DERIVED_TABLE_SUFFIXES.progress}`);
}

interface RawRow {
  readonly version: string;
  readonly name: string;
  readonly statement_hashes: string[];
  readonly statement_count: number;
  readonly running_statement: number | null;
  readonly created_index: string | null;
  readonly last_error: string | null;
  readonly updated_at: Date;
}

/** Rows of unfinished migrations; none when the table was never needed. Arrays come as JSON: the session does not fetch array types. */
export async function readProgress(session: Session, ledger: LedgerTable): Promise<ProgressRow[]> {
  const table = progressTable(ledger);
  try {
    const { rows } = await session.query<RawRow>(
      `SELECT version, name, to_json(statement_hashes) AS statement_hashes, statement_count, running_statement, created_index, last_error, updated_at
         FROM ${table.sql} ORDER BY version`,
    );
    return rows.map((row) => ({
      version: Number(row.version),
      name: row.name,
      statementHashes: row.statement_hashes,
      statementCount: row.statement_count,
      runningStatement: row.running_statement ?? undefined,
      createdIndex: row.created_index ?? undefined,
      lastError: row.last_error ?? undefined,
      updatedAt: row.updated_at,
    }));
  } catch (error) {
    if (error instanceof ServerError && (error.fields.sqlState === '42P01' || error.fields.sqlState === '3F000')) return [];
    throw error;
  }
}

export function createProgressSql(ledger: LedgerTable): string {
  const table = progressTable(ledger);
  return `CREATE TABLE IF NOT EXISTS ${table.sql} (
  version bigint PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  statement_hashes text[] NOT NULL DEFAULT '{}',
  statement_count integer NOT NULL,
  running_statement integer,
  created_index text,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ${table.sql} IS 'pgshift: no-transaction migrations started and not finished, with the statements they completed';
`;
}

export function startProgressSql(ledger: LedgerTable, file: SqlFile, statementCount: number): string {
  return `INSERT INTO ${progressTable(ledger).sql} (version, name, checksum, statement_count)
VALUES (${file.version}, ${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, ${statementCount})
ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, statement_count = EXCLUDED.statement_count, updated_at = now();
`;
}

/** Marks a statement that runs outside a transaction as started, with the index it would create. */
export function runningSql(ledger: LedgerTable, version: number, statement: number, createdIndex: string | undefined): string {
  return `UPDATE ${progressTable(ledger).sql} SET running_statement = ${statement}, created_index = ${
    createdIndex === undefined ? 'NULL' : quoteLiteral(createdIndex)
  }, updated_at = now() WHERE version = ${version};\n`;
}

export function statementDoneSql(ledger: LedgerTable, file: SqlFile, statement: ScriptStatement): string {
  return `UPDATE ${progressTable(ledger).sql} SET statement_hashes = statement_hashes || ${quoteLiteral(statementHash(file, statement))}::text, running_statement = NULL, created_index = NULL, last_error = NULL, updated_at = now() WHERE version = ${file.version};\n`;
}

export function failedSql(ledger: LedgerTable, version: number, message: string, keepRunning: boolean): string {
  const running = keepRunning ? '' : 'running_statement = NULL, created_index = NULL, ';
  return `UPDATE ${progressTable(ledger).sql} SET ${running}last_error = ${quoteLiteral(message)}, updated_at = now() WHERE version = ${version};\n`;
}

export function clearProgressSql(ledger: LedgerTable, version: number): string {
  return `DELETE FROM ${progressTable(ledger).sql} WHERE version = ${version};\n`;
}
