/**
 * Who holds the locks a migration timed out on. Run after the failed transaction is rolled back, so the
 * only sessions listed are others: the long transactions a lock timeout most often waits behind. Their
 * query text is never shown (it is theirs: it may hold a password or a customer's data); a pgshift run is
 * named by the application_name it sets.
 */
import { describeRunning } from '../core/lock-holder.js';
import type { Session } from '../db/session.js';

interface Holder {
  readonly pid: number;
  readonly application_name: string;
  readonly usename: string;
  readonly state: string | null;
  readonly seconds: number | null;
  readonly relations: string;
  readonly server_time: Date;
}

/**
 * Prepared transactions (PREPARE TRANSACTION) holding table locks: they have no session, so pg_locks shows
 * their locks without a pid; their transaction id names them in pg_prepared_xacts.
 */
async function preparedHolders(session: Session): Promise<string[]> {
  const { rows } = await session.query<{ gid: string; owner: string; seconds: number; relations: string }>(
    `SELECT x.gid, x.owner, extract(epoch FROM now() - x.prepared)::integer AS seconds, string_agg(DISTINCT l.relation::regclass::text, ', ') AS relations
       FROM pg_locks l
       JOIN pg_locks t ON t.virtualtransaction = l.virtualtransaction AND t.pid IS NULL AND t.locktype = 'transactionid'
       JOIN pg_prepared_xacts x ON x.transaction = t.transactionid
      WHERE l.pid IS NULL AND l.granted AND l.locktype = 'relation'
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      GROUP BY x.gid, x.owner, x.prepared`,
  );
  return rows.map((row) => `the prepared transaction ${JSON.stringify(row.gid)} (owner ${row.owner}, prepared ${row.seconds} s ago, holding ${row.relations}: COMMIT PREPARED or ROLLBACK PREPARED it)`);
}

export async function describeLockHolders(session: Session): Promise<string> {
  const { rows } = await session.query<Holder>(
    `SELECT l.pid, coalesce(a.application_name, '') AS application_name, coalesce(a.usename, '?') AS usename, a.state,
            extract(epoch FROM now() - a.xact_start)::integer AS seconds,
            string_agg(DISTINCT l.relation::regclass::text, ', ') AS relations, now() AS server_time
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      GROUP BY l.pid, a.application_name, a.usename, a.state, a.xact_start
      ORDER BY a.xact_start NULLS LAST LIMIT 3`,
  );
  const prepared = await preparedHolders(session);
  if (rows.length === 0 && prepared.length === 0) return 'no other transaction holds a table lock now; the one that did has ended, so running up again may succeed';
  const hidden = rows.some((row) => row.state === null);
  const holders = rows.map((row) => {
    const name = describeRunning(row.application_name, row.server_time) ?? (row.application_name || 'no application name');
    const state = row.state === null ? 'state hidden' : `${row.state} for ${row.seconds ?? '?'} s`;
    return `pid ${row.pid} (${name}, user ${row.usename}, ${state}, holding ${row.relations})`;
  });
  holders.push(...prepared);
  return `transactions holding table locks now: ${holders.join('; ')}. A long or idle-in-transaction session is the usual cause: end it (pg_terminate_backend(pid)) or wait for it, or raise --lock-timeout${
    hidden ? '. Another role\'s state and timings are hidden from this one: a member of pg_monitor sees them' : ''
  }`;
}
