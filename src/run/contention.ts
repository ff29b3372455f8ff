/**
 * Who holds the locks a migration timed out on. Run after the failed transaction is rolled back, so the
 * only sessions listed are others: the long transactions a lock timeout most often waits behind.
 */
import type { Session } from '../db/session.js';

interface Holder {
  readonly pid: number;
  readonly application_name: string;
  readonly usename: string;
  readonly state: string | null;
  readonly seconds: number;
  readonly query: string | null;
  readonly relations: string;
}

export async function describeLockHolders(session: Session): Promise<string> {
  const { rows } = await session.query<Holder>(
    `SELECT a.pid, a.application_name, a.usename, a.state,
            extract(epoch FROM now() - a.xact_start)::integer AS seconds, left(a.query, 120) AS query,
            string_agg(DISTINCT l.relation::regclass::text, ', ') AS relations
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      GROUP BY a.pid, a.application_name, a.usename, a.state, a.xact_start, a.query
      ORDER BY a.xact_start LIMIT 3`,
  );
  if (rows.length === 0) return 'no other transaction holds a table lock now; the one that did has ended, so running up again may succeed';
  const holders = rows.map(
    (row) =>
      `pid ${row.pid} (${row.application_name || 'no application name'}, user ${row.usename}, ${row.state ?? 'unknown state'} for ${row.seconds} s, holding ${row.relations}${
        row.query ? `; last query: ${row.query.replace(/\s+/g, ' ')}` : ''
      })`,
  );
  return `transactions holding table locks now: ${holders.join('; ')}. A long or idle-in-transaction session is the usual cause: end it (pg_terminate_backend(pid)) or wait for it, or raise --lock-timeout`;
}
