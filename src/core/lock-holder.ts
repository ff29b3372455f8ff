/**
 * The session holding the migration lock, described only by what any role may see of it: never its query
 * text, which belongs to whoever wrote the migration (a password, a customer's data) and not to a waiter.
 * A pgshift holder is named by the application_name pgshift gives it while it runs a file.
 */
import { printable } from './printable.js';

export interface LockHolder {
  readonly pid: number;
  readonly applicationName: string;
  /** The holder's address, connection start and state: null unless this role may read them (pg_read_all_stats). */
  readonly clientAddress: string | null;
  readonly user: string;
  readonly since: Date | null;
  readonly state: string | null;
  /** The server's clock when the holder was looked at, to age a pgshift holder's file. */
  readonly serverTime: Date;
}

/** PostgreSQL keeps 63 bytes of an application_name. */
const NAME_BYTES = 63;
const RUNNING = /^pgshift (\w+): (.+) @(\d+)$/;

/**
 * `pgshift up: migrations/003_x.sql @` followed, in SQL, by the epoch second the file started: everything
 * but the digits, which the server appends from its own clock so that a dry run fed to psql says the same.
 * A path too long to fit keeps its end (the file's name); a character other than ASCII (which the server
 * would mangle) or a $ (which would end the DO block it is quoted in) becomes a ?.
 */
export function runningNamePrefix(command: string, path: string): string {
  const head = `pgshift ${command}: `;
  const tail = ' @';
  const room = NAME_BYTES - head.length - tail.length - 10;
  const ascii = path.replace(/[^\x20-\x23\x25-\x7e]/g, '?');
  return `${head}${ascii.length > room ? `...${ascii.slice(ascii.length - room + 3)}` : ascii}${tail}`;
}

/** `pgshift up: migrations/003_x.sql, running 42 s`, or undefined for a name pgshift did not give. */
export function describeRunning(applicationName: string, serverTime: Date): string | undefined {
  const match = RUNNING.exec(applicationName);
  if (!match) return undefined;
  const seconds = Math.max(0, Math.round(serverTime.getTime() / 1000 - Number(match[3])));
  return `pgshift ${match[1]}: ${match[2]}, running ${seconds} s`;
}

/** One phrase a person can act on: which process, which run and file, from where, since when. */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return '(its holder has just let go)';
  const name = describeRunning(holder.applicationName, holder.serverTime) ?? (printable(holder.applicationName) || 'no application name');
  const user = printable(holder.user);
  if (holder.state === null) {
    return `by pid ${holder.pid} (${name}, user ${user}; its address and state are hidden from this role: a member of pg_monitor sees them)`;
  }
  const from = holder.clientAddress ?? 'a local socket';
  const since = holder.since ? ` since ${holder.since.toISOString()}` : '';
  return `by pid ${holder.pid} (${name}, user ${user}, from ${from}${since}, ${holder.state})`;
}
