/**
 * What the CLI takes from its environment, read here and nowhere else in src/: process.env, the .env file
 * (./.env, PGSHIFT_ENV_FILE or --dotenv), PGSHIFT_LOG_LEVEL and PGSHIFT_WAIT, each checked before use. The
 * CLI gets the result in two steps because its logger comes between them: what it needs to create the
 * logger, then (logged through that logger if it fails) the database and the connection wait.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import dotenv from 'dotenv';
import { defined } from '../core/defined.js';
import { isPgshiftError, PgshiftError, rewrap } from '../core/errors.js';
import type { LogFields } from '../core/logger.js';
import { resolveEndpoint } from '../db/endpoint.js';
import type { ConnectionSettings } from '../db/settings.js';
import type { Target } from '../migrator-types.js';
import { databaseFlagTargets, parseTargetsText } from './targets.js';
import { parseCacheFromEnvironment } from './parse-cache.js';
import { DEFAULTS, LOG_LEVELS, type LogLevel } from './defaults.js';
import { environmentNumber, mergeEnvironment, resolveDatabase, shownVariable, type DatabaseChoice, type DotenvFile, type Environment, type MergedEnvironment } from './environment.js';

/** The flags that say where the environment is and how much to log. */
export interface EnvironmentFlags {
  readonly dotenv?: string | undefined;
  readonly logLevel?: string | undefined;
}

export interface ConfigWarning {
  readonly message: string;
  readonly fields: LogFields;
}

/** What the CLI needs before it has a logger. */
export interface CliEnvironment {
  readonly logLevel: LogLevel;
  readonly environment: MergedEnvironment;
  /** To be logged once the logger exists. */
  readonly warnings: readonly ConfigWarning[];
  /** PGSHIFT_PROFILE=1: print where the run's time went when it ends. */
  readonly profile: boolean;
  /** PGSHIFT_CACHE (on unless off): the parse cache in .pgshift/. */
  readonly parseCache: boolean;
  /** GITHUB_WORKSPACE, set by a GitHub Actions runner: annotations name files from there, not from the working directory. */
  readonly githubWorkspace: string | undefined;
}

/** The flags that choose the database and how long to wait for it. */
export interface TargetFlags {
  readonly database?: string | undefined;
  readonly passwordCommand?: string | undefined;
  readonly connectTimeoutSeconds?: number | undefined;
  readonly waitSeconds?: number | undefined;
}

export interface CliTarget {
  /** Absent when the command said it needs no database. */
  readonly database?: DatabaseChoice;
  readonly connectWaitSeconds?: number;
}

/**
 * Whether a terminal can have a line redrawn in place (a carriage return, then erase to its end): not one
 * that says TERM=dumb (Emacs' shell, some CI consoles), where those codes show as text.
 */
export function terminalRedraws(real: Environment = process.env): boolean {
  return real['TERM'] !== 'dumb';
}

export function loadCliEnvironment(flags: EnvironmentFlags, real: Environment = process.env): CliEnvironment {
  const environment = mergeEnvironment(real, readDotenv(flags.dotenv, real));
  const level = flags.logLevel ?? environment.env['PGSHIFT_LOG_LEVEL'] ?? DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    // --log-level's own choices were checked by yargs: a bad level here came from the environment or .env.
    throw new PgshiftError('CONFIG_INVALID', `${shownVariable(environment, 'PGSHIFT_LOG_LEVEL')} is not one of ${LOG_LEVELS.join(', ')}`, {
      hint: `set it to one of those (${DEFAULTS.logLevel} is the default), or unset it`,
    });
  }
  const profile = ['1', 'true', 'on'].includes(environment.env['PGSHIFT_PROFILE'] ?? '');
  const parseCache = parseCacheFromEnvironment(environment.env['PGSHIFT_CACHE'], shownVariable(environment, 'PGSHIFT_CACHE'));
  const githubWorkspace = environment.env['GITHUB_WORKSPACE'] || undefined;
  return { logLevel: level as LogLevel, environment, warnings: ignoredWarnings(environment), profile, parseCache, githubWorkspace };
}

export function resolveCliTarget(loaded: CliEnvironment, flags: TargetFlags, cwd: string, needsDatabase: boolean): CliTarget {
  const { environment } = loaded;
  const database = needsDatabase
    ? resolveDatabase(flags.database, environment, cwd, { passwordCommand: flags.passwordCommand, connectTimeoutSeconds: flags.connectTimeoutSeconds })
    : undefined;
  const connectWaitSeconds = flags.waitSeconds ?? environmentNumber(environment, 'PGSHIFT_WAIT', 'seconds');
  return defined({ database, connectWaitSeconds });
}

/**
 * The server named by `--scratch-database`, reached with the same environment as the target (PGPASSWORD,
 * the password command, TLS variables): only where the scratch schema is built differs.
 */
export function resolveScratchDatabase(loaded: CliEnvironment, url: string, flags: TargetFlags, cwd: string): ConnectionSettings {
  const hint = 'name a server where the role may create databases, for example postgres://postgres@localhost:5433/postgres, or use --scratch embedded';
  if (!/^postgres(ql)?:\/\/./.test(url)) {
    throw new PgshiftError('USAGE', '--scratch-database must be a postgres:// or postgresql:// URL that names a server', { hint });
  }
  try {
    const choice = resolveDatabase(url, loaded.environment, cwd, { passwordCommand: flags.passwordCommand, connectTimeoutSeconds: flags.connectTimeoutSeconds });
    return { ...(choice.target as ConnectionSettings), origin: '--scratch-database' };
  } catch (error) {
    // Its messages speak of "the database URL": say which one.
    throw isPgshiftError(error) ? rewrap(error, error.code, `--scratch-database: ${error.message}`, { hint }) : error;
  }
}

/** The flags that may name several targets. */
export interface ManyFlags extends TargetFlags {
  /** Every --database given, in order. */
  readonly databases: readonly string[];
  readonly targetsFile?: string | undefined;
  readonly targetsQuery?: string | undefined;
}

/** Targets written out (a targets file, several --database), or the database a query lists them from. */
export type CliTargets =
  | { readonly kind: 'list'; readonly targets: readonly Target[] }
  | { readonly kind: 'query'; readonly database: ConnectionSettings; readonly sql: string; readonly urlSettings: (url: string, where: string) => ConnectionSettings };

/** The targets of a many-database run; undefined when the flags name one database as usual. */
export function resolveCliTargets(loaded: CliEnvironment, flags: ManyFlags, cwd: string): CliTargets | undefined {
  const { databases, targetsFile, targetsQuery } = flags;
  if (targetsFile !== undefined && targetsQuery !== undefined) throw new PgshiftError('USAGE', 'give --targets or --targets-query, not both');
  if (targetsFile !== undefined && databases.length > 0) {
    throw new PgshiftError('USAGE', '--targets and --database are given together', { hint: 'list every target in the --targets file, or give them all as --database flags' });
  }
  const connection = { passwordCommand: flags.passwordCommand, connectTimeoutSeconds: flags.connectTimeoutSeconds };
  const urlSettings = (url: string, where: string): ConnectionSettings => {
    try {
      const choice = resolveDatabase(url, loaded.environment, cwd, connection);
      // Read whole now (a bad % escape too): a target that cannot be read stops the run before any starts.
      resolveEndpoint({ url });
      return { ...(choice.target as ConnectionSettings), origin: where };
    } catch (error) {
      throw isPgshiftError(error) ? rewrap(error, error.code, `${where}: ${error.message}`) : error;
    }
  };
  if (targetsQuery !== undefined) {
    if (databases.length > 1) throw new PgshiftError('USAGE', '--targets-query runs on one database, and --database is given more than once');
    const choice = resolveDatabase(databases[0], loaded.environment, cwd, connection);
    if ('embedded' in choice.target) {
      throw new PgshiftError('USAGE', '--targets-query needs the database to run on', { hint: 'name it with --database (or DATABASE_URL, or PGHOST and friends)' });
    }
    return { kind: 'query', database: choice.target, sql: targetsQuery, urlSettings };
  }
  const lines = targetsFile !== undefined ? parseTargetsText(readTargetsFile(targetsFile, cwd), targetsFile, loaded.environment.env) : databases.length > 1 ? databaseFlagTargets(databases) : undefined;
  if (lines === undefined) return undefined;
  return { kind: 'list', targets: lines.map((line) => ({ name: line.name, database: urlSettings(line.url, line.where) })) };
}

const TARGETS_FILE_HINT = 'point --targets at a file of targets, one a line: a postgres:// URL or name=URL';

function readTargetsFile(path: string, cwd: string): string {
  if (path === '') throw new PgshiftError('USAGE', '--targets is empty', { hint: TARGETS_FILE_HINT });
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PgshiftError('USAGE', `cannot read the --targets file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`, { hint: TARGETS_FILE_HINT });
  }
}

/**
 * The .env file's variables, read into a map of their own: process.env is never changed, so the driver
 * cannot pick a variable up behind pgshift's back. Only a missing default ./.env is not an error.
 */
function readDotenv(flag: string | undefined, real: Environment): DotenvFile | undefined {
  const given = flag ?? (real['PGSHIFT_ENV_FILE'] || undefined);
  const path = resolve(given ?? DEFAULTS.envFile);
  try {
    return { path, values: dotenv.parse(readFileSync(path)) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (given === undefined && code === 'ENOENT') return undefined;
    const named = given === undefined ? DEFAULTS.envFile : flag === undefined ? 'PGSHIFT_ENV_FILE' : '--dotenv';
    throw new PgshiftError('USAGE', `cannot read the ${named} file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`, {
      hint: 'point --dotenv (or PGSHIFT_ENV_FILE) at a readable file of NAME=value lines',
    });
  }
}

function ignoredWarnings(environment: MergedEnvironment): ConfigWarning[] {
  if (environment.ignored.length === 0) return [];
  return [
    {
      message: `ignored ${environment.ignored.join(', ')} from ${environment.dotenvPath ?? DEFAULTS.envFile}: the environment already chooses the database (${environment.targetSetBy.join(', ')}), and .env never overrides it`,
      fields: { ignored: environment.ignored, file: environment.dotenvPath },
    },
  ];
}
