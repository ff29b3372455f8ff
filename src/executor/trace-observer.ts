/**
 * A statement that cannot run in a transaction block (CREATE INDEX CONCURRENTLY) has released its locks by
 * the time it returns, so they are read while it runs, from a second session. That session holds a
 * snapshot open: a concurrent index build waits, at its end, for every older snapshot, and so waits on the
 * observer, still holding its locks, until the observer lets it go.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LockRow } from '../core/trace-diff.js';
import type { LockObservation } from '../core/trace-types.js';
import type { Session } from '../db/session.js';
import { readHeldLocks, waitsFor } from '../db/trace-probe.js';

const POLL_MS = 10;

/**
 * How long the observer holds its snapshot at most. A statement that never waits for it (VACUUM) is not
 * held back at all; one that builds for longer than this is let go unobserved rather than kept waiting.
 */
const WATCH_LIMIT_MS = 30_000;

export interface Watched {
  readonly locks: readonly LockRow[];
  readonly observed: Extract<LockObservation, 'while-waiting' | 'unobserved'>;
}

/**
 * Runs the statement (`run`, on the traced backend `pid`) under the eye of an observer session, which is
 * always let go of and closed, whatever fails. Both are finished before this returns: the traced session is
 * free again, and the statement's own failure is the one thrown.
 */
export async function watchAlone(openObserver: () => Promise<Session>, pid: number, run: () => Promise<void>): Promise<Watched> {
  const observer = await openObserver();
  try {
    await observer.execute('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1');
    let finished = false;
    const running = run().finally(() => {
      finished = true;
    });
    // The observer's transaction wrote nothing: a rollback ends it as a commit would, and never fails.
    const watching = poll(observer, pid, () => finished, running).finally(() => observer.rollback());
    const [seen, ran] = await Promise.allSettled([watching, running]);
    if (ran.status === 'rejected') throw ran.reason;
    if (seen.status === 'rejected') throw seen.reason;
    return seen.value === undefined ? { locks: [], observed: 'unobserved' } : { locks: seen.value, observed: 'while-waiting' };
  } finally {
    await observer.rollback();
    await observer.close().catch(() => undefined);
  }
}

/** The locks `pid` holds once it waits on the observer; undefined if it finished first, or the limit came. */
async function poll(observer: Session, pid: number, finished: () => boolean, running: Promise<void>): Promise<LockRow[] | undefined> {
  const deadline = performance.now() + WATCH_LIMIT_MS;
  const settled = running.catch(() => undefined);
  while (!finished() && performance.now() < deadline) {
    // pg_locks and pg_blocking_pids read the lock table live, not through the observer's snapshot.
    if (await waitsFor(observer, pid, observer.info.pid)) return readHeldLocks(observer, pid);
    await Promise.race([sleep(POLL_MS), settled]);
  }
  return undefined;
}
