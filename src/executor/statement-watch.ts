/**
 * Watches a statement that runs for more than a second, from a second, short-lived session: never the run's
 * own, never inside its transaction. The session opens only once a statement has run for a second, reads at
 * most once a second, and closes when the statement ends. Nothing it does can fail the run: an error stops
 * the progress, said once, and the migration goes on untouched.
 */
import { describeStatement, type PhaseMark, type StatementProgress } from '../core/statement-progress.js';
import type { Logger } from '../core/logger.js';
import { probeStatement } from '../db/statement-probe.js';
import type { Session } from '../db/session.js';

/** Waited before a statement counts as long, and between two readings. */
const WATCH_AFTER_MS = 1000;
const POLL_MS = 1000;

export interface WatchTarget {
  /** The run's backend. */
  readonly pid: number;
  readonly serverMajor: number;
  /** A session on the run's database with the run's credentials; undefined: elapsed time only (a pooler may move the run between backends). */
  readonly open: (() => Promise<Session>) | undefined;
  readonly logger: Logger;
  /** Each reading, and `undefined` once the statement ended. */
  readonly onUpdate: (progress: StatementProgress | undefined) => void;
}

/**
 * Starts watching the statement just sent; the function returned ends it (and is safe to call twice), and
 * resolves once the second session, if one was opened, is closed.
 */
export function watchStatement(target: WatchTarget, failed: { said: boolean }): () => Promise<void> {
  const started = performance.now();
  let session: Session | undefined;
  let ended = false;
  let mark: PhaseMark | undefined;
  let timer: NodeJS.Timeout | undefined;
  let shown = false;

  const read = async (): Promise<void> => {
    if (ended) return;
    const elapsedMs = Math.round(performance.now() - started);
    let progress: StatementProgress = { elapsedMs };
    if (target.open !== undefined && !failed.said) {
      try {
        if (session === undefined) {
          const opened = await target.open();
          // The statement ended while the session opened: it is closed again at once.
          if (ended) return await opened.close().catch(() => undefined);
          session = opened;
        }
        const probe = await probeStatement(session, target.pid, target.serverMajor);
        if (probe !== undefined) ({ progress, mark } = describeStatement({ ...probe, runningMs: Math.max(probe.runningMs, elapsedMs) }, mark, performance.now()));
      } catch (error) {
        // The watcher's trouble is never the migration's: said once for the run, then elapsed time only.
        failed.said = true;
        target.logger.warn(`progress: cannot read what the statement is doing (${(error as Error).message}); showing elapsed time only`);
      }
    }
    if (ended) return;
    shown = true;
    target.onUpdate(progress);
    timer = setTimeout(() => void read(), POLL_MS);
    timer.unref();
  };

  timer = setTimeout(() => void read(), WATCH_AFTER_MS);
  timer.unref();
  return async () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    if (shown) target.onUpdate(undefined);
    await session?.close().catch(() => undefined);
  };
}
