/**
 * A migration must not change pgshift's ledger or its progress table. Found by effect, not by reading the
 * file (EXECUTE format(...), quoted or qualified names and TRUNCATE all reach the tables): before the file,
 * in its transaction, pgshift notes a digest of both tables; after it, the digest must be the same, or the
 * transaction fails and is rolled back.
 *
 * The digest covers what every INSERT, UPDATE, DELETE, TRUNCATE, rewrite, drop or rename of the tables
 * changes (see digestDeclarations), in constant time: a check made for every file must not grow with the
 * ledger. It is kept as a transaction-level advisory lock keyed on it (and on the file's version), because a
 * lock is transaction state that a migration cannot reset: RESET ALL clears a setting, DISCARD TEMP a
 * temporary table, and pg_advisory_unlock_all() only releases session locks. It is also noted in a setting
 * of the transaction, which the check reads first: looking for the lock means reading pg_locks.
 */
import { doBlock, quoteLiteral } from '../core/sql-quote.js';
import { versionOf } from '../core/directives.js';
import type { ScriptFile } from '../core/types.js';
import type { LedgerTable } from './ledger.js';
import { progressTable } from './progress.js';

/** The SQLSTATEs of the errors the check raises: pgshift's own, so no server error is mistaken for them. */
export const LEDGER_CHANGED_STATE = 'PGL01';
/** The ledger table itself is gone (dropped or renamed), which is reported as before its row is written. */
export const LEDGER_DROPPED_STATE = 'PGL02';

/**
 * PL/pgSQL that declares `key`, the digest of both tables salted with the file's version (a repeatable file's name), and `a`, the ledger (null
 * if it is gone). A table's part is its identity (oid, and relfilenode: TRUNCATE and rewrites give a new one)
 * and the rows this transaction has inserted, updated and deleted in it so far, which the server counts for
 * pg_stat_xact_user_tables: constant time, whatever the ledger's size. Where the server counts nothing
 * (track_counts off, or not known to be on), each table's rows are hashed too (ctid and xmin). A DO block
 * is compiled and planned anew each time, and that work grows with its text and its statements: this is
 * most of what a small file's transaction costs, so the block is one declaration and the common case
 * carries no text for the other.
 */
function digestDeclarations(ledger: LedgerTable, salt: number | string): string {
  const [own, progress] = [ledger, progressTable(ledger)].map((table) => quoteLiteral(table.sql)) as [string, string];
  const counts = (r: string): string =>
    `concat_ws(':',${r}::oid,pg_relation_filenode(${r}),pg_stat_get_xact_tuples_inserted(${r}),pg_stat_get_xact_tuples_updated(${r}),pg_stat_get_xact_tuples_deleted(${r}))`;
  // Salted with the tables' names too: two ledgers of one database (a schema per tenant, migrated at once)
  // must not take the same key, or one run's check would find the other's lock instead of its own.
  const parts = [quoteLiteral(String(salt)), own, counts('a'), progress, counts('b')];
  if (ledger.countsChanges !== true) parts.push(rowsHash(own, 'a'), rowsHash(progress, 'b'));
  return `DECLARE a regclass := to_regclass(${own}); b regclass := to_regclass(${progress}); key bigint := hashtextextended(concat_ws(' ',${parts.join(',')}),0);`;
}

/** Every row's version in `table` (when it exists: `r` is not null), hashed, as one SQL expression. */
function rowsHash(table: string, r: string): string {
  const query = quoteLiteral("SELECT count(*)||':'||coalesce(sum(hashtextextended(ctid::text||xmin::text,0)),0) AS p FROM ");
  return `CASE WHEN ${r} IS NOT NULL THEN (xpath('/row/p/text()',query_to_xml(${query}||${table},false,true,'')))[1]::text END`;
}

/**
 * Before the file: the tables' digest, held as a lock until the transaction ends, and noted in a setting of
 * the transaction for the check after the file to read at no cost; `first` runs before it in the same block.
 */
export function ledgerSnapshotSql(ledger: LedgerTable, salt: number | string, first = ''): string {
  return doBlock(`${digestDeclarations(ledger, salt)} BEGIN ${first}PERFORM set_config('${KEY_SETTING}',key::text,true), pg_try_advisory_xact_lock(key); END`);
}

/**
 * After the file: the same digest must still be held, or the file changed the tables. The setting the
 * snapshot made says so at no cost; only where the file changed or reset it is the lock looked for in
 * pg_locks, which copies the server's whole lock table. That look is an IF of its own: PL/pgSQL plans an
 * expression when it first evaluates it, and planning a query of pg_locks alone costs more than the rest
 * of the check, so a condition joined with AND would pay for it on every file. It runs before RESET ALL
 * (which clears the setting) and after `RESET statement_timeout` and the role's reset (SESSION_CHECK_SQL),
 * which a file could have set to stop it. `first` runs before it in the same block.
 */
export function ledgerUnchangedSql(ledger: LedgerTable, file: ScriptFile, first = ''): string {
  const message = `${file.path} changed the rows of pgshift's ledger table ${ledger.display} or of ${progressTable(ledger).display}`;
  const dropped = `${file.path} dropped or altered pgshift's ledger table ${ledger.display}, so its ledger row could not be written`;
  return doBlock(`${digestDeclarations(ledger, guardSalt(file))} BEGIN ${first}IF a IS NULL THEN RAISE EXCEPTION USING ERRCODE = '${LEDGER_DROPPED_STATE}', MESSAGE = ${quoteLiteral(dropped)}; END IF; IF current_setting('${KEY_SETTING}',true) IS DISTINCT FROM key::text THEN IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1 AND classid = ((key >> 32) & 4294967295)::oid AND objid = (key & 4294967295)::oid) THEN RAISE EXCEPTION USING ERRCODE = '${LEDGER_CHANGED_STATE}', MESSAGE = ${quoteLiteral(message)}; END IF; END IF; END`);
}

/** What a file's digest is salted with: its version, or a repeatable file's name (it runs in a transaction of its own). */
export function guardSalt(file: ScriptFile): number | string {
  return versionOf(file).version ?? file.name;
}

/** Where the snapshot notes its digest for the check after the file (a transaction-local setting). */
const KEY_SETTING = 'pgshift.ledger_key';

/**
 * What must come between a file and the check after it: the check must neither time out under a file's
 * `SET statement_timeout` nor run as a role the file switched to.
 */
export const SESSION_CHECK_SQL = 'RESET statement_timeout;\nRESET SESSION AUTHORIZATION;\nRESET ROLE;\n';
