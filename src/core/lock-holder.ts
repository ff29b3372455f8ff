/** The session holding the migration lock, as pg_locks and pg_stat_activity describe it. */
export interface LockHolder {
  readonly pid: number;
  readonly applicationName: string;
  readonly clientAddress: string | null;
  readonly user: string;
  readonly since: Date | null;
  readonly state: string | null;
  readonly query: string | null;
}

/** One phrase a person can act on: which process, from where, since when, doing what. */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return '(its holder has just let go)';
  const from = holder.clientAddress ?? 'a local socket';
  const since = holder.since ? ` since ${holder.since.toISOString()}` : '';
  const running = holder.state === 'active' && holder.query ? `, running: ${holder.query.slice(0, 120)}` : '';
  return `by pid ${holder.pid} (${holder.applicationName || 'no application name'}, user ${holder.user}, from ${from}${since}${running})`;
}
