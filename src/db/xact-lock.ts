/**
 * The migration lock under `--lock transaction`, for a transaction-mode pooler (PgBouncer), where each
 * transaction may reach another server connection and nothing set on the session is sure to be there for
 * the next. Every transaction pgshift writes in carries what it needs itself: it tries a transaction-level
 * advisory lock on the same key as the session lock (so runs of both kinds exclude each other), checks that
 * the ledger is still what the run planned from, and makes --schema's schema when missing; the schema and
 * provenance settings it needs every script states anyway (SessionSettings).
 *
 * The lock is only tried, never waited for inside the server (see lock.ts): a transaction that does not get
 * it fails whole, before anything of its file ran, and the executor sends it again after a pause.
 */
import { createHash } from 'node:crypto';
import { doBlock, quoteLiteral } from '../core/sql-quote.js';
import { schemaSql } from './session-state.js';
import type { LedgerTable } from './ledger.js';
import { lockKey } from './lock.js';

/** Another run holds the lock: the transaction is sent again later. pgshift's own SQLSTATEs, as in ledger-guard.ts. */
export const LOCK_BUSY_STATE = 'PGL03';
/** The ledger is no longer what the run planned from: another run applied or reverted something meanwhile. */
export const LEDGER_MOVED_STATE = 'PGL04';

/** What a transaction under `--lock transaction` carries in place of the session's state. */
export interface TransactionLock {
  /** The versions the ledger must hold when the transaction starts; undefined: there must be no ledger table. */
  readonly ledger: readonly number[] | undefined;
}

/** The same lock after the run applied `applied` and reverted `reverted`: what the next transaction must find. */
export function ledgerAfter(lock: TransactionLock, applied: readonly number[], reverted: readonly number[]): TransactionLock {
  if (applied.length === 0 && reverted.length === 0) return lock;
  const gone = new Set(reverted);
  return { ...lock, ledger: [...(lock.ledger ?? []), ...applied].filter((version) => !gone.has(version)) };
}

/**
 * The ledger's versions as the check computes them: the md5 of the sorted list joined by commas. A missing
 * ledger is told apart from an empty one, so a transaction planned to create the ledger never finds one.
 */
export function ledgerDigest(versions: readonly number[] | undefined): string {
  if (versions === undefined) return '-';
  return createHash('md5')
    .update([...versions].sort((a, b) => a - b).join(','))
    .digest('hex');
}

/** Opens a transaction: the lock, the ledger check and the schema if missing. */
export function transactionOpeningSql(table: LedgerTable, lock: TransactionLock): string {
  return `${lockTrySql(table)}${ledgerExpectedSql(table, lock.ledger)}${schemaSql(table.settings?.schema)}`;
}

function lockTrySql(table: LedgerTable): string {
  const message = quoteLiteral(`pgshift: another run holds the migration lock of ${table.display}`);
  return doBlock(`BEGIN IF NOT pg_try_advisory_xact_lock(${lockKey(table).sql}) THEN RAISE EXCEPTION USING ERRCODE = '${LOCK_BUSY_STATE}', MESSAGE = ${message}; END IF; END`);
}

/** Fails the transaction unless the ledger holds exactly `versions` (undefined: no ledger table). */
export function ledgerExpectedSql(table: LedgerTable, versions: readonly number[] | undefined): string {
  const read = quoteLiteral(`SELECT md5(coalesce(string_agg(version::text, ',' ORDER BY version), '')) FROM ${table.sql}`);
  const message = quoteLiteral(`another run changed the ledger ${table.display} after this run read it`);
  return doBlock(`DECLARE d text := '-'; BEGIN IF to_regclass(${quoteLiteral(table.sql)}) IS NOT NULL THEN EXECUTE ${read} INTO d; END IF; IF d IS DISTINCT FROM '${ledgerDigest(versions)}' THEN RAISE EXCEPTION USING ERRCODE = '${LEDGER_MOVED_STATE}', MESSAGE = ${message}; END IF; END`);
}

