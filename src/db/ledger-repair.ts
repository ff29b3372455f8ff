/** The SQL `repair` sends: the current checksums of applied files written over the recorded ones, in one transaction. */
import { quoteLiteral } from '../core/sql-quote.js';
import type { LedgerTable } from './ledger.js';
import { lockGuardSql, lockKey } from './lock.js';

export interface ChecksumUpdate {
  readonly version: number;
  readonly recorded: string;
  readonly current: string;
  /** The commit the current text comes from, as a new ledger row would record it (none: untracked or no git). */
  readonly commit?: string | undefined;
}

/**
 * Each row is matched on its recorded checksum as well as its version, so a row changed since it was read
 * is left alone. With provenance columns, git_commit names the commit the current text comes from, as a
 * new row would, so that a later repair compares with this text.
 */
export function recordChecksumsSql(table: LedgerTable, updates: readonly ChecksumUpdate[], provenance: boolean): string {
  if (updates.length === 0) return '';
  const commit = (update: ChecksumUpdate): string =>
    provenance ? `, git_commit = ${update.commit === undefined ? 'NULL' : quoteLiteral(update.commit)}` : '';
  const rows = updates.map(
    (update) =>
      `UPDATE ${table.sql} SET checksum = ${quoteLiteral(update.current)}${commit(update)} WHERE version = ${update.version} AND checksum = ${quoteLiteral(update.recorded)};\n`,
  );
  return `BEGIN;\n${lockGuardSql(lockKey(table))}${rows.join('')}COMMIT;\n`;
}
