/** The SQL `repair` sends: the current checksums of applied files written over the recorded ones, in one transaction. */
import { quoteLiteral } from '../core/sql-quote.js';
import type { LedgerTable } from './ledger.js';
import { lockGuardSql, lockKey } from './lock.js';

export interface ChecksumUpdate {
  readonly version: number;
  readonly recorded: string;
  readonly current: string;
}

/**
 * Each row is matched on its recorded checksum as well as its version, so a row changed since it was read
 * is left alone. With provenance columns, git_commit takes the session's value again (its column default),
 * so that a later repair compares with the commit this text came from.
 */
export function recordChecksumsSql(table: LedgerTable, updates: readonly ChecksumUpdate[], provenance: boolean): string {
  if (updates.length === 0) return '';
  const commit = provenance ? ', git_commit = DEFAULT' : '';
  const rows = updates.map(
    (update) =>
      `UPDATE ${table.sql} SET checksum = ${quoteLiteral(update.current)}${commit} WHERE version = ${update.version} AND checksum = ${quoteLiteral(update.recorded)};\n`,
  );
  return `BEGIN;\n${lockGuardSql(lockKey(table))}${rows.join('')}COMMIT;\n`;
}
