/**
 * A run's progress for `onProgress`: its files (done of all, time left at the rate so far) and, once the
 * running statement has taken a second, what the server says of it (executor/statement-watch.ts).
 */
import { runSecondsLeft, type StatementProgress } from '../core/statement-progress.js';
import type { Logger } from '../core/logger.js';
import { openSibling } from '../db/connect.js';
import type { Session } from '../db/session.js';
import type { ConnectionSettings } from '../db/settings.js';
import { watchStatement } from '../executor/statement-watch.js';
import type { ProgressEvent } from '../migrator-types.js';

export interface RunProgress {
  /** `count` more files this run sends. */
  plan(count: number): void;
  /** A file is about to be sent: the one before it is done. */
  fileStarted(path: string): void;
  /** Watches the script just sent, on the run's session; the function returned says it ended. */
  watch(): () => void;
  /** Resolves once every second session is closed: the run returns only then. */
  settled(): Promise<void>;
}

export interface ProgressSource {
  readonly session: Session;
  readonly settings: ConnectionSettings;
  readonly logger: Logger;
  /**
   * Under --lock transaction a pooler may run each transaction on another backend: the backend the session
   * first had says nothing of the statement, which then shows its elapsed time only, with no second session.
   */
  readonly pooled: boolean;
}

export function runProgress(onProgress: (event: ProgressEvent) => void, source: ProgressSource): RunProgress {
  const started = performance.now();
  let total = 0;
  let done = -1;
  let file: string | undefined;
  /** When the last file finished, since the run began: the rate is of finished files only. */
  let doneAtMs = 0;
  const failed = { said: false };
  const closing = new Set<Promise<void>>();
  const { session, settings, logger, pooled } = source;
  let listening = true;
  const emit = (statement?: StatementProgress): void => {
    if (!listening) return;
    const elapsedMs = Math.round(performance.now() - started);
    const finished = Math.max(0, done);
    const secondsLeft = runSecondsLeft({ done: finished, total, doneAtMs, nowMs: elapsedMs });
    // The caller's callback is not the migration: one that throws (or rejects) is told no more, and the run goes on.
    const deaf = (error: unknown): void => {
      if (!listening) return;
      listening = false;
      logger.warn(`progress: onProgress threw (${(error as Error | undefined)?.message ?? String(error)}); no more progress events for this run`);
    };
    try {
      const answer: unknown = onProgress({
        files: { done: finished, total, elapsedMs, ...(secondsLeft === undefined ? {} : { secondsLeft }) },
        ...(file === undefined ? {} : { file }),
        ...(statement === undefined ? {} : { statement }),
      });
      if (answer instanceof Promise) answer.catch(deaf);
    } catch (error) {
      deaf(error);
    }
  };
  const open = pooled ? undefined : () => openSibling(session, settings, logger, { application_name: `pgshift progress of pid ${session.info.pid}` });
  return {
    plan(count) {
      total += count;
    },
    fileStarted(path) {
      done++;
      if (done > 0) doneAtMs = performance.now() - started;
      file = path;
      emit();
    },
    watch() {
      const stop = watchStatement({ pid: session.info.pid, serverMajor: Number.parseInt(session.info.serverVersion, 10), open, logger, onUpdate: emit }, failed);
      return () => {
        const closed = stop();
        closing.add(closed);
        void closed.finally(() => closing.delete(closed));
      };
    },
    async settled() {
      await Promise.all(closing);
    },
  };
}
