/**
 * One small query, from a session of its own, on what another backend is doing: how long its statement has
 * run, whether it waits for a lock and behind whom, and the row of the progress view that names it. Never
 * any session's query text: only pid, application, user, state and times.
 */
import { PROGRESS_VIEWS, type LockHolderSeen, type ProgressView, type StatementProbe } from '../core/statement-progress.js';
import type { Session } from './session.js';

/** The probe's SQL for backend `pid` on a server of `major` version: only the views it has. */
export function probeSql(pid: number, major: number): string {
  const views = PROGRESS_VIEWS.filter(({ since }) => major >= since);
  const rows = views.map(({ view }) => `(SELECT row_to_json(p) FROM pg_stat_progress_${view} p WHERE p.pid = a.pid) AS ${view}`);
  const relids = views.map(({ view }) => `(SELECT p.relid FROM pg_stat_progress_${view} p WHERE p.pid = a.pid)`);
  return `SELECT (extract(epoch FROM clock_timestamp() - a.query_start) * 1000)::bigint AS running_ms, a.wait_event_type,
       (SELECT coalesce(json_agg(json_build_object('pid', b.pid, 'application', b.application_name, 'user', coalesce(b.usename, '?'),
               'state', b.state, 'seconds', extract(epoch FROM clock_timestamp() - b.xact_start)::integer) ORDER BY b.pid), '[]')
          FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid))) AS holders,
       -- A prepared transaction blocks as pid 0 and has no session: its locks in pg_locks name its transaction.
       (SELECT coalesce(json_agg(json_build_object('pid', 0, 'application', x.gid, 'user', x.owner, 'state', 'prepared',
               'seconds', extract(epoch FROM clock_timestamp() - x.prepared)::integer) ORDER BY x.prepared), '[]')
          FROM pg_prepared_xacts x WHERE 0 = ANY (pg_blocking_pids(a.pid)) AND x.database = current_database()
            AND x.transaction::text IN (SELECT l.transactionid::text FROM pg_locks l WHERE l.pid IS NULL AND l.locktype = 'transactionid'
                                        UNION SELECT split_part(l.virtualtransaction, '/', 2) FROM pg_locks l WHERE l.pid IS NULL)) AS prepared,
       (SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = coalesce(${relids.join(', ')})) AS relation,
       ${rows.join(',\n       ')}
  FROM pg_stat_activity a WHERE a.pid = ${pid} AND a.state = 'active'`;
}

interface ProbeRow extends Record<ProgressView, Record<string, unknown> | null> {
  readonly running_ms: string | number | null;
  readonly wait_event_type: string | null;
  readonly holders: LockHolderSeen[];
  readonly prepared: LockHolderSeen[];
  readonly relation: string | null;
}

/** What backend `pid` is doing now; undefined when it runs nothing (between statements, or gone). */
export async function probeStatement(session: Session, pid: number, major: number): Promise<StatementProbe | undefined> {
  const { rows } = await session.query<ProbeRow>(probeSql(pid, major));
  const [row] = rows;
  if (row === undefined) return undefined;
  const found = PROGRESS_VIEWS.find(({ view }) => row[view] != null)?.view;
  return {
    runningMs: Number(row.running_ms ?? 0),
    waitEventType: row.wait_event_type,
    holders: [...row.holders, ...row.prepared],
    view: found,
    row: found === undefined ? undefined : (row[found] ?? undefined),
    relation: row.relation ?? undefined,
  };
}
