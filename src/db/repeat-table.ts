/**
 * The table of repeatable files beside the ledger (`<ledger>_repeat`): one row per repeatable file, with the
 * checksum of the text it was last applied with. A file runs again when its text hashes to another; its row
 * is written in the same transaction as the file.
 */
import type { RepeatRecord } from '../core/plan-repeatables.js';
import { doBlock, quoteLiteral } from '../core/sql-quote.js';
import type { RepeatableFile } from '../core/types.js';
import { DERIVED_TABLE_SUFFIXES, PROVENANCE_SETTINGS, tableNamed, type LedgerTable } from './ledger.js';
import { ServerError } from './server-error.js';
import type { Session } from './session.js';

export function repeatTable(ledger: LedgerTable): LedgerTable {
  return tableNamed(ledger.schema, `${ledger.name}${DERIVED_TABLE_SUFFIXES.repeat}`);
}


interface RawRow {
  readonly name: string;
  readonly checksum: string;
  readonly applied_at: Date;
  readonly execution_ms: number;
}

/** The rows by name; none when no repeatable file was ever applied (the table does not exist yet). */
export async function readRepeats(session: Session, ledger: LedgerTable): Promise<RepeatRecord[]> {
  try {
    const { rows } = await session.query<RawRow>(`SELECT name, checksum, applied_at, execution_ms FROM ${repeatTable(ledger).sql} ORDER BY name`);
    return rows.map((row) => ({ name: row.name, checksum: row.checksum, appliedAt: row.applied_at, executionMs: row.execution_ms }));
  } catch (error) {
    if (error instanceof ServerError && (error.fields.sqlState === '42P01' || error.fields.sqlState === '3F000')) return [];
    throw error;
  }
}

/** Made by the first repeatable file's transaction (IF NOT EXISTS: any of them may be the first). */
export function createRepeatSql(ledger: LedgerTable): string {
  const table = repeatTable(ledger);
  return `SET LOCAL client_min_messages = warning;
CREATE TABLE IF NOT EXISTS ${table.sql} (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  applied_by text NOT NULL DEFAULT current_user,
  execution_ms integer NOT NULL,
  pgshift_version text DEFAULT nullif(current_setting('${PROVENANCE_SETTINGS.version}', true), ''),
  git_commit text
);
COMMENT ON TABLE ${table.sql} IS 'pgshift: repeatable files, with the checksum each was last applied with';
`;
}

/** Another run applied this same text after this run read the table (under --lock transaction): the file is not run again. */
export const REPEATED_STATE = 'PGL05';

/**
 * Under --lock transaction runs are not kept apart for their whole length: a transaction that finds this
 * file's text already recorded fails before the file runs, with pgshift's own SQLSTATE.
 */
export function appliedElsewhereSql(ledger: LedgerTable, file: RepeatableFile): string {
  const table = repeatTable(ledger);
  const read = quoteLiteral(`SELECT EXISTS (SELECT FROM ${table.sql} WHERE name = ${quoteLiteral(file.name)} AND checksum = ${quoteLiteral(file.checksum)})`);
  const message = quoteLiteral(`${file.path} was applied by another run meanwhile`);
  return doBlock(
    `DECLARE found boolean := false; BEGIN IF to_regclass(${quoteLiteral(table.sql)}) IS NOT NULL THEN EXECUTE ${read} INTO found; END IF; IF found THEN RAISE EXCEPTION USING ERRCODE = '${REPEATED_STATE}', MESSAGE = ${message}; END IF; END`,
  );
}

/** The file's row, written or rewritten after it ran, timed by the server from the transaction's start. */
export function recordRepeatSql(ledger: LedgerTable, file: RepeatableFile): string {
  const ms = '(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer';
  const commit = file.gitCommit === undefined ? 'NULL' : quoteLiteral(file.gitCommit);
  return `INSERT INTO ${repeatTable(ledger).sql} (name, checksum, execution_ms, git_commit) VALUES (${quoteLiteral(file.name)}, ${quoteLiteral(file.checksum)}, ${ms}, ${commit})
ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now(), applied_by = current_user, execution_ms = EXCLUDED.execution_ms, pgshift_version = DEFAULT, git_commit = EXCLUDED.git_commit;
`;
}
