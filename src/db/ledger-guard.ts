/**
 * A migration must not change pgshift's ledger or its progress table. Found by effect, not by reading the
 * file (EXECUTE format(...), quoted or qualified names and TRUNCATE all reach the tables): before the file,
 * in its transaction, pgshift notes a digest of both tables; after it, the digest must be the same, or the
 * transaction fails and is rolled back.
 *
 * The digest covers what every INSERT, UPDATE, DELETE, TRUNCATE, rewrite, drop or rename of the tables
 * changes (see digestBody), in constant time: a check made for every file must not grow with the ledger.
 * It is kept as a transaction-level advisory lock keyed on it (and on the file's version), because a lock
 * is transaction state that a migration cannot reset: RESET ALL clears a setting, DISCARD TEMP a temporary
 * table, and pg_advisory_unlock_all() only releases session locks.
 */
import { quoteLiteral } from '../core/sql-quote.js';
import type { SqlFile } from '../core/types.js';
import type { LedgerTable } from './ledger.js';
import { progressTable } from './progress.js';

/** The SQLSTATEs of the errors the check raises: pgshift's own, so no server error is mistaken for them. */
export const LEDGER_CHANGED_STATE = 'PGL01';
/** The ledger table itself is gone (dropped or renamed), which is reported as before its row is written. */
export const LEDGER_DROPPED_STATE = 'PGL02';

/**
 * PL/pgSQL that sets `key` to the digest of both tables (a missing table counts as such) salted with `version`.
 * A table's part is its identity (oid, and relfilenode: TRUNCATE and rewrites give a new one) and the rows
 * this transaction has inserted, updated and deleted in it so far, which the server counts for
 * pg_stat_xact_user_tables: constant time, whatever the ledger's size. With track_counts off the server
 * counts nothing, and the part is a hash of every row's version (ctid and xmin) instead.
 */
function digestBody(ledger: LedgerTable, version: number, first = ''): string {
  const tables = [ledger, progressTable(ledger)].map((table) => quoteLiteral(table.sql)).join(',');
  const rows = quoteLiteral("SELECT count(*)||':'||coalesce(sum(hashtextextended(ctid::text||xmin::text,0)),0) FROM ");
  const counts = "concat_ws(':',r::oid,pg_relation_filenode(r),pg_stat_get_xact_tuples_inserted(r),pg_stat_get_xact_tuples_updated(r),pg_stat_get_xact_tuples_deleted(r))";
  // Salted with the tables' names too: two ledgers of one database (a schema per tenant, migrated at once)
  // must not take the same key, or one run's check would find the other's lock instead of its own. Written
  // tight: what precedes a statement counts against the 1 kB of it that pg_stat_activity shows.
  return `DECLARE t text; r regclass; c bool := current_setting('track_counts'); d text := '${version}'; p text; key bigint; BEGIN ${first}FOREACH t IN ARRAY ARRAY[${tables}] LOOP r := to_regclass(t); IF r IS NULL THEN p := '-'; ELSIF c THEN p := ${counts}; ELSE EXECUTE ${rows}||t INTO p; END IF; d := concat_ws(' ',d,t,p); END LOOP; key := hashtextextended(d,0);`;
}

/** Before the file: the tables' digest, held as a lock until the transaction ends; `first` runs before it in the same block. */
export function ledgerSnapshotSql(ledger: LedgerTable, version: number, first = ''): string {
  return `DO $pgshift$ ${digestBody(ledger, version, first)} PERFORM pg_try_advisory_xact_lock(key); END $pgshift$;\n`;
}

/** After the file: the same digest must still be held, or the file changed the tables. */
export function ledgerUnchangedSql(ledger: LedgerTable, file: SqlFile): string {
  const message = `${file.path} changed the rows of pgshift's ledger table ${ledger.display} or of ${progressTable(ledger).display}`;
  const dropped = `${file.path} dropped or altered pgshift's ledger table ${ledger.display}, so its ledger row could not be written`;
  return `DO $pgshift$ ${digestBody(ledger, file.version)} IF to_regclass(${quoteLiteral(ledger.sql)}) IS NULL THEN RAISE EXCEPTION USING ERRCODE = '${LEDGER_DROPPED_STATE}', MESSAGE = ${quoteLiteral(dropped)}; END IF; IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1 AND classid = ((key >> 32) & 4294967295)::oid AND objid = (key & 4294967295)::oid) THEN RAISE EXCEPTION USING ERRCODE = '${LEDGER_CHANGED_STATE}', MESSAGE = ${quoteLiteral(message)}; END IF; END $pgshift$;\n`;
}
