/**
 * How one run shows its progress: on a terminal, the live line under the log (never with --json); elsewhere
 * a log line every --progress-interval while a statement runs, and one at once when it starts waiting for a
 * lock, so that whoever reads the log can act before lock_timeout.
 */
import type { Logger, LogFields } from '../core/logger.js';
import type { ProgressEvent } from '../migrator-types.js';
import { LiveLine, type Terminal } from './live-line.js';
import { progressLine } from './render-progress.js';

export interface CliProgress {
  /** The run's logger: on a terminal it writes above the live line. */
  readonly logger: Logger;
  readonly onProgress: (event: ProgressEvent) => void;
  close(): void;
}

export function cliProgress(logger: Logger, terminal: Terminal | undefined, intervalSeconds: number): CliProgress {
  if (terminal !== undefined) {
    let latest: ProgressEvent | undefined;
    const line = new LiveLine(terminal, (width) => (latest === undefined ? undefined : progressLine(latest, { width, short: true })));
    return {
      logger: line.above(logger, ['debug', 'info', 'warn', 'error']),
      onProgress: (event) => void (latest = event),
      close: () => line.close(),
    };
  }
  return { logger, onProgress: progressLogger(logger, intervalSeconds * 1000), close: () => undefined };
}

function progressLogger(logger: Logger, intervalMs: number): (event: ProgressEvent) => void {
  let saidAt = 0;
  let waitingFor: string | undefined;
  return (event) => {
    const { statement } = event;
    if (statement === undefined) {
      saidAt = 0;
      waitingFor = undefined;
      return;
    }
    const text = progressLine(event) ?? '';
    const holders = statement.waitingFor?.map((seen) => seen.pid).join(',');
    const now = performance.now();
    if (holders !== undefined && holders !== waitingFor) {
      logger.warn(text, fields(event));
      saidAt = now;
    } else if (statement.elapsedMs >= intervalMs && now - saidAt >= intervalMs) {
      logger.info(text, fields(event));
      saidAt = now;
    }
    waitingFor = holders;
  };
}

function fields({ file, files, statement }: ProgressEvent): LogFields {
  return { progress: { file, files, ...statement } };
}
