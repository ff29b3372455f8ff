/**
 * pino on stderr: JSON lines when stderr is not a terminal (CI, log collectors), readable lines when it is.
 * The only module that imports pino.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config/defaults.js';
import type { LogFields, Logger } from './core/logger.js';

export interface LogOptions {
  readonly level: LogLevel;
  /** Human-readable output instead of JSON. */
  readonly pretty: boolean;
}

/** Fields that could carry a secret are censored even if some code path logs them by mistake. */
const REDACT = ['password', '*.password', 'url', '*.url', 'connectionString', '*.connectionString'];

export async function createLogger(options: LogOptions): Promise<Logger> {
  if (!options.pretty) return jsonLogger(options.level);
  // Loaded only for a terminal: pino-pretty costs start-up time that JSON output does not need. The
  // connection's fields stay in the JSON lines only: on a terminal its one line already says them in words.
  const { default: pretty } = await import('pino-pretty');
  return wrap(
    pino(
      { ...base(options.level), base: null },
      pretty({ destination: 2, sync: true, colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,target,sslmode,tls,source' }),
    ),
  );
}

/**
 * JSON lines on stderr (file descriptor 2), or on `destination`: made at once, also for an error found
 * before the run's log level is known, which goes where the caller of main() said stderr is.
 */
export function jsonLogger(level: LogLevel, destination?: { write(text: string): unknown }): Logger {
  return wrap(pino(base(level), destination ?? pino.destination({ fd: 2, sync: true })));
}

function base(level: LogLevel) {
  return { level, redact: { paths: REDACT, censor: '***' } };
}

function wrap(logger: PinoLogger): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void =>
      fields ? logger[level](fields, message) : logger[level](message);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
