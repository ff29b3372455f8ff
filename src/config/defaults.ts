/**
 * Every default pgshift falls back on, in one table: the CLI's help shows these and the API applies them,
 * so the two can never disagree.
 */
import type { LockScope } from '../core/types.js';

/** pino's levels, which --log-level and PGSHIFT_LOG_LEVEL choose from. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** How runs exclude each other (`--lock`): see MigratorOptions.lock. */
export const LOCK_SCOPES = ['session', 'transaction'] as const satisfies readonly LockScope[];

export const DEFAULTS = {
  migrationsDir: 'migrations',
  rollbacksDir: 'rollbacks',
  repeatableDir: 'repeatable',
  table: 'schema_migrations',
  /** Data folder of the embedded server, under the working directory. */
  embeddedDir: '.pgshift',
  lockWaitSeconds: 60,
  connectWaitSeconds: 0,
  connectTimeoutSeconds: 30,
  /** A migration waiting on a lock queues every other query on that table behind it. */
  lockTimeout: '10s',
  lockRetries: 3,
  lockRetryDelayMs: 1000,
  /** How runs exclude each other: a session advisory lock, unless a transaction-mode pooler rules it out. */
  lockScope: 'session' as LockScope,
  /** Targets a many-database run migrates at once. */
  parallel: 4,
  /** What the server shows for pgshift's sessions (pg_stat_activity), unless PGAPPNAME or the URL says otherwise. */
  applicationName: 'pgshift',
  logLevel: 'info',
  /** Between two progress log lines of a long statement, when stderr is not a terminal (--progress-interval). */
  progressIntervalSeconds: 10,
  envFile: '.env',
  /** What the checks found in each file checked before, under the working directory (PGSHIFT_CACHE=off: none). */
  parseCacheFile: '.pgshift/parse-cache-v1.json',
  /** Parse cache entries kept beyond the files a run checks (another branch's, say), the most recently used. */
  parseCacheKeep: 5000,
  /** trace: a lock that blocks writes on a table of the target at least this big is a finding. */
  traceBig: '10MB',
} as const;
