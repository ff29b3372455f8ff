/**
 * createMigrator's options, checked and given their defaults once, when the migrator is made: a wrong
 * value fails there, before any call connects, and every operation reads the same resolved values.
 */
import { join, resolve } from 'node:path';
import type { DatabaseTarget, MigratorOptions } from '../migrator-types.js';
import { defined } from '../core/defined.js';
import { durationProblem } from '../core/directives.js';
import { PgshiftError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Memo } from '../core/memo.js';
import { checkNumber } from '../core/numbers.js';
import { checkLedgerName, checkSchemaName } from '../db/ledger.js';
import type { ConnectionSettings } from '../db/settings.js';
import type { Timeouts } from '../db/wire-sql.js';
import type { PlanWords } from '../core/wording.js';
import type { Directories } from '../io/loader.js';
import type { RetryPolicy } from '../executor/apply.js';
import { DEFAULTS, LOCK_SCOPES } from './defaults.js';
import type { LockScope } from '../core/types.js';
import { cliPlanWords } from './wording.js';
import { parseCacheSetting, type ParseCacheSetting } from './parse-cache.js';
import { readProjectSettings } from './project.js';

export interface ResolvedOptions {
  /** Absolute: where relative paths are resolved. */
  readonly cwd: string;
  readonly dirs: Directories;
  readonly logger: Logger;
  readonly target: DatabaseTarget;
  /** The embedded server's folder; a scratch embedded server gets a folder inside it. */
  readonly embeddedDir: string;
  /** The ledger table as given, optionally schema-qualified; its schema is settled once connected. */
  readonly table: string;
  readonly schema: string | undefined;
  readonly lockWaitMs: number;
  /** `transaction`: nothing may depend on the session (a transaction-mode pooler); see MigratorOptions.lock. */
  readonly lockScope: LockScope;
  readonly connectWaitSeconds: number;
  /** Timeouts of a file whose directives set none. */
  readonly defaults: Timeouts;
  readonly retry: RetryPolicy;
  /** up applies pending files below the highest applied version (MigratorOptions.outOfOrder). */
  readonly outOfOrder: boolean;
  /** What the planner's hints call options, commands and folders. */
  readonly words: PlanWords;
  /** Where what the checks found in each file is kept between runs; absent: PGSHIFT_CACHE=off. */
  readonly parseCache?: ParseCacheSetting;
  /** Set by a many-database run: the files, git's answer, parses and lint shared by all its targets. */
  readonly memo?: Memo;
}

export function resolveOptions(options: MigratorOptions): ResolvedOptions {
  const cwd = resolve(options.cwd ?? process.cwd());
  checkNumber('lockWaitSeconds', options.lockWaitSeconds, 'seconds');
  checkNumber('connectWaitSeconds', options.connectWaitSeconds, 'seconds');
  checkNumber('lockRetries', options.lockRetries, 'count');
  const lockTimeout = duration('--lock-timeout', options.lockTimeout ?? DEFAULTS.lockTimeout);
  const statementTimeout = options.statementTimeout === undefined ? undefined : duration('--statement-timeout', options.statementTimeout);
  if (options.database !== undefined && !('embedded' in options.database)) checkNamesServer(options.database);
  const table = options.table ?? DEFAULTS.table;
  checkLedgerName(table);
  if (options.schema !== undefined) checkSchemaName(options.schema);
  if (options.lock !== undefined && !(LOCK_SCOPES as readonly string[]).includes(options.lock)) {
    throw new PgshiftError('USAGE', `lock ${JSON.stringify(options.lock)} is not one of ${LOCK_SCOPES.join(', ')}`);
  }
  const dirs = {
    cwd,
    migrationsDir: options.migrationsDir ?? DEFAULTS.migrationsDir,
    rollbacksDir: options.rollbacksDir ?? DEFAULTS.rollbacksDir,
    repeatableDir: options.repeatableDir ?? DEFAULTS.repeatableDir,
    repeatableRequired: options.repeatableDir !== undefined,
  };
  return {
    cwd,
    dirs,
    logger: options.logger ?? silentLogger,
    target: options.database ?? { embedded: { dir: join(cwd, DEFAULTS.embeddedDir) } },
    embeddedDir: options.database !== undefined && 'embedded' in options.database ? options.database.embedded.dir : join(cwd, DEFAULTS.embeddedDir),
    table,
    schema: options.schema,
    lockWaitMs: (options.lockWaitSeconds ?? DEFAULTS.lockWaitSeconds) * 1000,
    lockScope: options.lock ?? DEFAULTS.lockScope,
    connectWaitSeconds: options.connectWaitSeconds ?? DEFAULTS.connectWaitSeconds,
    defaults: { lockTimeout, ...defined({ statementTimeout }) },
    retry: { retries: options.lockRetries ?? DEFAULTS.lockRetries, firstDelayMs: options.lockRetryDelayMs ?? DEFAULTS.lockRetryDelayMs },
    outOfOrder: options.outOfOrder ?? readProjectSettings(cwd).outOfOrder ?? false,
    words: cliPlanWords({ migrations: dirs.migrationsDir, rollbacks: dirs.rollbacksDir }),
    ...defined({ parseCache: parseCacheSetting(cwd, options.parseCache !== false) }),
  };
}

/**
 * `database: { url: process.env.DATABASE_URL }` with the variable unset names no server: taken as libpq's
 * defaults it would reach whatever listens on the local socket, which is not what was meant.
 */
function checkNamesServer(settings: ConnectionSettings): void {
  const given = ['url', 'host', 'hostaddr', 'port', 'user', 'database'] as const;
  const empty = (value: unknown): boolean => value === undefined || value === '';
  if ('url' in settings && empty(settings.url) && given.filter((key) => key !== 'url').every((key) => empty(settings[key]))) {
    throw new PgshiftError('USAGE', `database.url is ${settings.url === '' ? 'empty' : 'undefined'}: no server is named (an environment variable that is not set?)`, {
      hint: 'set the variable, or give database.url (or host, port, user and database); leave database out for the embedded server (createTestDatabase: embedded: true instead)',
    });
  }
}

function duration(flag: string, value: string): string {
  const wrong = durationProblem(flag, value);
  if (wrong) throw new PgshiftError('USAGE', wrong.message, { hint: wrong.hint });
  return value;
}
