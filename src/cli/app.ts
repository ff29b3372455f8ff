import type { Argv, InferredOptionTypes, Options } from 'yargs';
import type { Logger } from '../core/logger.js';
import { parseNumber, type NumberKind } from '../core/numbers.js';
import type { ManyOptions, Migrator, ProgressEvent, ScratchServer, Target } from '../migrator-types.js';
import { DEFAULTS, LOCK_SCOPES, LOG_LEVELS } from '../config/defaults.js';
import type { Terminal } from './live-line.js';

/**
 * A numeric flag read as the text typed, so that its check (before connecting) can echo it: yargs' own
 * number type would round 99999999999999999999 and turn -x into NaN.
 */
export function numberOption(flag: string, kind: NumberKind, describe: string) {
  return { type: 'string', describe, coerce: (raw: unknown): number => parseNumber(`--${flag}`, raw, kind) } as const;
}

/** Options every command takes; they may stand before or after the command. */
export const globalOptions = {
  database: { type: 'string', describe: 'postgres:// URL (default: DATABASE_URL, then PGHOST..., then the embedded server)' },
  'password-command': { type: 'string', describe: 'run this for each connection and use its output as the password (default: PGSHIFT_PASSWORD_COMMAND)' },
  wait: numberOption('wait', 'seconds', 'keep trying to connect for up to this many seconds while the server is not up (default: PGSHIFT_WAIT, else 0)'),
  'connect-timeout': numberOption('connect-timeout', 'positive-seconds', `seconds for each connection attempt (default: PGCONNECT_TIMEOUT, else ${DEFAULTS.connectTimeoutSeconds})`),
  schema: { type: 'string', describe: 'schema to run migrations in (search_path; created by up if missing)' },
  table: { type: 'string', describe: 'ledger table, optionally schema-qualified', defaultDescription: DEFAULTS.table },
  'migrations-dir': { type: 'string', default: DEFAULTS.migrationsDir, describe: 'folder of NNN_name.sql migrations' },
  'rollbacks-dir': { type: 'string', default: DEFAULTS.rollbacksDir, describe: 'folder of NNN_name.sql rollbacks' },
  'repeatable-dir': {
    type: 'string',
    defaultDescription: DEFAULTS.repeatableDir,
    describe: 'folder of NAME.sql repeatable files (views, functions), applied after the migrations when changed; a folder named here must exist',
  },
  'allow-out-of-order': {
    type: 'boolean',
    describe: 'up applies pending files numbered below the highest applied version, in version order (default: package.json "pgshift": {"outOfOrder": true}, else refused)',
  },
  'lock-wait': { ...numberOption('lock-wait', 'seconds', "seconds to wait for another run's migration lock"), default: DEFAULTS.lockWaitSeconds },
  // nargs: 1 takes a value that starts with a dash (-5s) as the value, to be refused by its check naming the
  // flag, instead of yargs reading it as the short flags -5 and -s.
  'lock-timeout': { type: 'string', nargs: 1, default: DEFAULTS.lockTimeout, describe: 'lock_timeout for migration statements, with a unit: 500ms, 10s, 2min (0: none); a file may set its own' },
  'statement-timeout': { type: 'string', nargs: 1, describe: "statement_timeout for migration statements, with a unit: 30s, 5min (default: the server's)" },
  'lock-retries': { ...numberOption('lock-retries', 'count', 'times a migration stopped by its lock timeout is tried again'), default: DEFAULTS.lockRetries },
  lock: {
    type: 'string',
    choices: LOCK_SCOPES,
    default: DEFAULTS.lockScope,
    describe: 'transaction: through a transaction-mode pooler (PgBouncer), a lock inside each migration transaction and no session state; up, down, status, validate and drift only',
  },
  'log-level': { type: 'string', choices: LOG_LEVELS, describe: 'pino log level (default: PGSHIFT_LOG_LEVEL or info)' },
  dotenv: { type: 'string', describe: 'read this file instead of ./.env (default: PGSHIFT_ENV_FILE)' },
  json: { type: 'boolean', default: false, describe: 'print the answer as JSON' },
  targets: { type: 'string', describe: 'file of targets, one a line: a postgres:// URL or name=URL, ${VAR} taken from the environment, # comments' },
  'targets-query': { type: 'string', describe: 'SQL run on --database that lists the targets: a column target (a URL, or a schema name of that database), and optionally name' },
  parallel: numberOption('parallel', 'steps', `targets migrated at once, each on its own connection (default ${DEFAULTS.parallel})`),
  'fail-fast': { type: 'boolean', describe: 'after the first failed target, start no other (those running finish)' },
  canary: numberOption('canary', 'count', 'migrate the first K targets on their own first, and stop if any of them fails'),
} as const satisfies Record<string, Options>;

/** The commands that take many targets; the others refuse the flags of the "Many databases" group. */
export { MANY_COMMANDS } from '../core/types.js';

/** Where drift, trace and verify build a scratch database. */
export const scratchOptions = {
  scratch: {
    type: 'string',
    describe: 'embedded: build the scratch database on a fresh embedded server of its own, removed afterwards',
  },
  'scratch-database': { type: 'string', describe: "postgres:// URL of a server to build the scratch database on, instead of the target's (the role needs CREATEDB)" },
} as const satisfies Record<string, Options>;

export type ScratchArgs = InferredOptionTypes<typeof scratchOptions>;

/** How up, down and redo show a long statement (cli/run-progress.ts). */
export const progressOptions = {
  progress: {
    type: 'boolean',
    default: true,
    describe: 'show what a statement running over a second is doing: a live line on a terminal, else log lines (--no-progress: neither, and no second connection)',
  },
  'progress-interval': {
    ...numberOption('progress-interval', 'positive-seconds', 'seconds between progress log lines when stderr is not a terminal (or with --json)'),
    default: DEFAULTS.progressIntervalSeconds,
  },
} as const satisfies Record<string, Options>;

export type ProgressArgs = InferredOptionTypes<typeof progressOptions>;

/** The --dry-run flag of up, down and redo. */
export const dryRunOption = {
  'dry-run': { type: 'boolean', describe: 'print the SQL that would run (a psql script) and change nothing' },
} as const satisfies Record<string, Options>;

export type GlobalArgs = InferredOptionTypes<typeof globalOptions>;

/** The headings --help shows global options under; a global option in none of them is listed under "General". */
const OPTION_GROUPS = {
  connection: { title: 'Connection:', keys: ['database', 'dotenv', 'password-command', 'wait', 'connect-timeout'] },
  ledger: { title: 'Ledger and schema:', keys: ['schema', 'table'] },
  files: { title: 'Files:', keys: ['migrations-dir', 'rollbacks-dir', 'repeatable-dir'] },
  // Only the commands that plan pending files (up, validate, status, verify, trace) take it.
  pending: { title: 'Pending files:', keys: ['allow-out-of-order'] },
  run: { title: 'Running migrations:', keys: ['lock', 'lock-wait', 'lock-timeout', 'statement-timeout', 'lock-retries'] },
  targets: { title: 'Many databases:', keys: ['targets', 'targets-query', 'parallel', 'fail-fast', 'canary'] },
} as const satisfies Record<string, { readonly title: string; readonly keys: ReadonlyArray<keyof typeof globalOptions> }>;

export type OptionGroup = keyof typeof OPTION_GROUPS;

/** Every group: what `pgshift --help` shows, and what the commands that use all of them show. */
export const ALL_GROUPS = Object.keys(OPTION_GROUPS) as OptionGroup[];

/**
 * Orders a command's --help: its own flags first (under "Options:"), then the global groups it uses, each
 * under its heading. Global options of groups it ignores are hidden, so the help lists only what matters.
 */
export function groupHelp<T>(yargs: Argv<T>, own: readonly string[], uses: readonly OptionGroup[], version = !own.includes('version')): Argv<T> {
  let grouped = own.length > 0 ? yargs.group([...own], 'Options:') : yargs;
  const listed = new Set<string>();
  for (const [group, { title, keys }] of Object.entries(OPTION_GROUPS) as Array<[OptionGroup, (typeof OPTION_GROUPS)[OptionGroup]]>) {
    for (const key of keys) listed.add(key);
    grouped = uses.includes(group) ? grouped.group([...keys], title) : keys.reduce((hiding, key) => hiding.hide(key), grouped);
  }
  // pgshift's own --version is grouped per command: a group set on the top level would also claim baseline's --version.
  const general = [...Object.keys(globalOptions).filter((key) => !listed.has(key)), 'help', ...(version ? ['version'] : [])];
  return grouped.group(general, 'General:');
}

export interface OpenNeeds {
  readonly database: boolean;
  /** The command's scratch flags, turned into the server its scratch database is built on. */
  readonly scratch?: ScratchArgs;
  /** The command's progress flags: with --progress, `onProgress` for its run and a logger that writes above the live line. */
  readonly progress?: ProgressArgs;
}

/** What App.openMany resolves: the targets and the options every one of them shares. */
export interface ManyRun {
  readonly targets: readonly Target[];
  readonly options: ManyOptions;
  readonly logger: Logger;
  /** Where drift builds its scratch databases (the command's scratch flags), for every target. */
  readonly scratchServer?: ScratchServer;
}

/** What main.ts gives each command: the way to the migrator, stdout, and the run's interrupt signal. */
export interface App {
  /** `database: false` for commands that only touch files: no database is chosen (or refused). */
  open(argv: GlobalArgs, needs?: OpenNeeds): Promise<{
    readonly migrator: Migrator;
    readonly logger: Logger;
    readonly scratchServer?: ScratchServer;
    /** A file's path as a GitHub annotation names it: from GITHUB_WORKSPACE when a runner set it. */
    readonly annotationPath: (path: string) => string;
    readonly onProgress?: (event: ProgressEvent) => void;
  }>;
  /**
   * A many-database run's targets and the options they share; undefined when the flags name one database
   * as usual. A --targets-query is run here, before any target.
   */
  openMany(argv: GlobalArgs, needs?: Pick<OpenNeeds, 'scratch'>): Promise<ManyRun | undefined>;
  readonly signal: AbortSignal;
  write(text: string): void;
  /** stderr when it is a terminal: where a live progress line goes. */
  readonly terminal: Terminal | undefined;
  /** The status to exit with when the command itself finished (validate uses it for problems found). */
  setExitStatus(status: number): void;
}
