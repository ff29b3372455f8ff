/**
 * The migration lock: a PostgreSQL session advisory lock keyed on the ledger table, so two runs against the
 * same ledger exclude each other and runs against different ledgers do not. It is only ever tried
 * (pg_try_advisory_lock), never waited for inside the server: a blocked waiter would sit in the lock queue,
 * where it can deadlock with CREATE INDEX CONCURRENTLY run by the holder (Flyway #1654). Under --lock
 * transaction the same key is taken at transaction level instead (xact-lock.ts), so both kinds of run
 * exclude each other.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgshiftError } from '../core/errors.js';
import { doBlock, quoteLiteral } from '../core/sql-quote.js';
import { describeHolder, type LockHolder } from '../core/lock-holder.js';
import type { Logger } from '../core/logger.js';
import type { LedgerTable } from './ledger.js';
import { ServerError } from './server-error.js';
import type { Session } from './session.js';

export interface LockKey {
  /** The signed 64-bit key, as SQL text. */
  readonly sql: string;
  /** How pg_locks shows a bigint key: its high and low 32 bits. */
  readonly classid: string;
  readonly objid: string;
}


export function lockKey(table: LedgerTable): LockKey {
  return keyOf(`pgshift\0${table.schema}\0${table.name}`);
}

/** A lock of pgshift's own that no ledger's key can equal (a ledger's has a schema and a name after pgshift). */
export function namedLockKey(name: string): LockKey {
  return keyOf(`pgshift\0\0${name}`);
}

function keyOf(text: string): LockKey {
  const digest = createHash('sha256').update(text).digest();
  const unsigned = digest.readBigUInt64BE(0);
  return {
    sql: BigInt.asIntN(64, unsigned).toString(),
    classid: (unsigned >> 32n).toString(),
    objid: (unsigned & 0xffffffffn).toString(),
  };
}

export interface AcquireOptions {
  readonly waitMs: number;
  readonly logger: Logger;
  readonly signal?: AbortSignal | undefined;
  /** Which lock, for the messages, and what to do when it stays held. Default: the migration lock. */
  readonly named?: { readonly lock: string; readonly hint: string };
}

/**
 * Polls until the lock is had or `waitMs` passes, saying once who holds it. The lock is held twice over (a
 * second hold by the same session is only counted, never waited for): the guard before each file checks it
 * by giving up one hold and taking it back, which only a session holding it can do (lockGuardStatement).
 */
export async function acquireLock(session: Session, key: LockKey, options: AcquireOptions): Promise<void> {
  const tryLock = async (): Promise<boolean> =>
    (await session.query<{ locked: boolean }>(`SELECT ${holdTwice(key, false)} AS locked`)).rows[0]?.locked === true;
  await pollLock(tryLock, () => lockHolder(session, key), options);
}

/**
 * Tries `attempt` until it has the lock (it answers true) or `waitMs` passes, backing off from 50 ms to 1 s
 * and saying once who holds it (`holder`). Both ways of locking wait alike: the session lock, and a whole
 * transaction sent again under --lock transaction.
 */
export async function pollLock(attempt: () => Promise<boolean>, holder: () => Promise<LockHolder | undefined>, options: AcquireOptions): Promise<void> {
  const deadline = performance.now() + options.waitMs;
  let delay = 50;
  let announced = false;
  const { lock, hint } = options.named ?? { lock: 'the migration lock', hint: 'another pgshift run is migrating this database; wait for it, or raise --lock-wait' };
  for (;;) {
    if (await attempt()) return;
    // An interrupt's cancel request can land on this query when the attempt it was sent for just ended.
    const held = await holder().catch((error: unknown) => {
      if (options.signal?.aborted) return undefined;
      throw error;
    });
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      throw new PgshiftError('LOCK_TIMEOUT', `${lock} is still held after ${options.waitMs / 1000} s ${describeHolder(held)}`, { hint });
    }
    if (!announced) {
      options.logger.info(`waiting for ${lock} ${describeHolder(held)}`, { holder: held });
      announced = true;
    }
    try {
      await sleep(Math.min(delay, remaining), undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      throw new PgshiftError('INTERRUPTED', `interrupted while waiting for ${lock}`, {
        hint: 'no statement was running, so nothing was left half-done; another run holds the lock: run the command again once it is done',
      });
    }
    delay = Math.min(delay * 2, 1000);
  }
}

export async function releaseLock(session: Session, key: LockKey): Promise<void> {
  await session.query(`SELECT ${releaseBoth(key)}`);
}

/**
 * Both holds (see acquireLock). Tried: the second only if the first was had. Waited for (psql running a dry
 * run): the second is only counted.
 */
function holdTwice(key: LockKey, wait: boolean): string {
  return wait ? `pg_advisory_lock(${key.sql}), pg_advisory_lock(${key.sql})` : `CASE WHEN pg_try_advisory_lock(${key.sql}) THEN pg_try_advisory_lock(${key.sql}) ELSE false END`;
}

function releaseBoth(key: LockKey): string {
  return `pg_advisory_unlock(${key.sql}), pg_advisory_unlock(${key.sql})`;
}

/** Who holds the lock, from pg_locks and pg_stat_activity: never its query text (see core/lock-holder.ts). */
export async function lockHolder(session: Session, key: LockKey): Promise<LockHolder | undefined> {
  const { rows } = await session.query<LockHolder>(
    `SELECT l.pid, coalesce(a.application_name, '') AS "applicationName", host(a.client_addr) AS "clientAddress",
            coalesce(a.usename, '?') AS "user", a.backend_start AS since, a.state, now() AS "serverTime"
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = '${key.classid}'::oid AND l.objid = '${key.objid}'::oid AND l.objsubid = 1`,
  );
  return rows[0];
}

const LOCK_LOST_MESSAGE = 'pgshift: this session does not hold the migration lock';

/** When `error` is a lock guard's (lockGuardStatement) that found the lock gone: where it was found, if said. */
export function lockLostAt(error: unknown): { readonly where: string | undefined } | undefined {
  return error instanceof ServerError && error.message === LOCK_LOST_MESSAGE ? { where: error.fields.detail } : undefined;
}

/**
 * Opens every migration transaction: proof, inside the transaction itself and at no extra round trip, that
 * this backend still holds the lock. Behind a transaction-mode pooler (PgBouncer) consecutive messages may
 * reach different backends, and a session lock taken on one says nothing about the others.
 */
export function lockGuardSql(key: LockKey, where?: string): string {
  return doBlock(`BEGIN ${lockGuardStatement(key, where)} END`);
}

/**
 * lockGuardSql's PL/pgSQL statement, for a block that does more before a file (one block parses once).
 * The session holds the lock twice (acquireLock): giving up one hold succeeds only if this session holds it,
 * and taking it back is then only counted. No read of pg_locks, which copies the server's whole lock table.
 * A session without the lock also gets a warning from pg_advisory_unlock, which the client does not show
 * (session.ts): the exception says it.
 */
export function lockGuardStatement(key: LockKey, where?: string): string {
  // Where it guards ("before FILE", "while FILE ran") rides along as the error's detail: in one transaction
  // of several files, it says which.
  const detail = where === undefined ? '' : ` USING DETAIL = ${quoteLiteral(where)}`;
  return `IF NOT (CASE WHEN pg_advisory_unlock(${key.sql}) THEN pg_try_advisory_lock(${key.sql}) ELSE false END) THEN RAISE EXCEPTION '${LOCK_LOST_MESSAGE}'${detail}; END IF;`;
}

/** What a dry run prints around its script, so that psql takes the lock the guards check for, as pgshift does. */
export function lockSql(key: LockKey, take: boolean): string {
  return `SELECT ${take ? holdTwice(key, true) : releaseBoth(key)};\n`;
}
