/**
 * The pgshift command as a function: parses arguments, builds the migrator from what src/config resolves,
 * turns errors into exit statuses. bin.ts runs it as the process: it owns the signals and the exit, so
 * main() can also run inside another process (a test) without touching that process's state.
 */
import { relative, resolve, sep } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { loadCliEnvironment, resolveCliTarget, resolveCliTargets, resolveScratchDatabase, terminalRedraws, type CliEnvironment, type CliTargets, type TargetFlags } from '../config/cli-environment.js';
import { defined } from '../core/defined.js';
import { isPgshiftError, PgshiftError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { DEFAULTS } from '../config/defaults.js';
import { createLogger, jsonLogger } from '../log.js';
import { createMigrator, targetsFromQuery } from '../migrator.js';
import type { ScratchServer } from '../migrator-types.js';
import { PGSHIFT_VERSION } from '../version.js';
import { ALL_GROUPS, globalOptions, groupHelp, MANY_COMMANDS, type App, type GlobalArgs, type ScratchArgs } from './app.js';
import { scratchServerOf } from './scratch.js';
import { driftCommand } from './commands/drift.js';
import { traceCommand } from './commands/trace.js';
import { baselineCommand } from './commands/baseline.js';
import { downCommand } from './commands/down.js';
import { lintCommand } from './commands/lint.js';
import { newCommand } from './commands/new.js';
import { redoCommand } from './commands/redo.js';
import { repairCommand } from './commands/repair.js';
import { testDbCommand } from './commands/test-db.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import { validateCommand } from './commands/validate.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT_OK, EXIT_UNEXPECTED, exitStatusOf } from './exit-status.js';
import { errorFields, errorText } from './render.js';
import { profileText, runProfile } from './profile.js';
import { cliProgress, type CliProgress } from './run-progress.js';

interface Output {
  write(text: string): unknown;
}

/** Where a run writes, and what stops it. The log itself always goes to file descriptor 2 (see log.ts). */
export interface CliIo {
  readonly stdout: Output;
  /** Error text goes here; a terminal (isTTY) gets readable log lines instead of JSON. */
  readonly stderr: Output & { readonly isTTY?: boolean; readonly columns?: number };
  /** Aborting it stops the run: bin.ts aborts it on SIGINT and SIGTERM. */
  readonly signal?: AbortSignal;
}

const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

const COMPLETION = 'print a bash/zsh completion script (add its output to ~/.bashrc or ~/.zshrc)';

/** Runs one pgshift command line (without the node and script arguments) and returns its exit status. */
export async function main(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const entered = performance.now();
  // yargs answers `completion --help` with the script itself; someone asking what the command does gets this.
  if (commandOf(args) === 'completion' && args.some((arg) => arg === '--help' || arg === '-h')) {
    io.stdout.write(`pgshift completion\n\n${COMPLETION}: pgshift completion >> ~/.bashrc\n`);
    return EXIT_OK;
  }
  const pretty = io.stderr.isTTY === true;
  let exitStatus = EXIT_OK;
  let logger: Logger | undefined;
  let profile = false;
  const prepare = async (argv: GlobalArgs) => {
    const loaded = loadCliEnvironment({ dotenv: argv.dotenv, logLevel: argv['log-level'] });
    profile = loaded.profile;
    logger = await createLogger({ level: loaded.logLevel, pretty });
    for (const warning of loaded.warnings) logger.warn(warning.message, warning.fields);
    const flags = { passwordCommand: argv['password-command'], connectTimeoutSeconds: argv['connect-timeout'], waitSeconds: argv.wait };
    return { loaded, logger, flags, cwd: process.cwd() };
  };
  const stderr = io.stderr;
  // Where lines cannot be redrawn, progress goes to the log as it does off a terminal.
  const terminal = pretty && terminalRedraws() ? { write: (text: string) => void stderr.write(text), get columns() { return stderr.columns; } } : undefined;
  let progress: CliProgress | undefined;
  const app: App = {
    signal: io.signal ?? new AbortController().signal,
    write: (text) => void io.stdout.write(text),
    setExitStatus: (status) => void (exitStatus = status),
    terminal,
    async open(argv: GlobalArgs, needs = { database: true }) {
      const prepared = await prepare(argv);
      const { loaded, flags, cwd } = prepared;
      if (needs.progress?.progress === true) progress = cliProgress(prepared.logger, argv.json ? undefined : terminal, needs.progress['progress-interval']);
      const logger = progress?.logger ?? prepared.logger;
      const target = resolveCliTarget(loaded, { ...flags, database: databasesOf(argv)[0] }, cwd, needs.database);
      const scratchServer = scratchOf(needs.scratch, loaded, flags, cwd);
      const migrator = createMigrator({ ...defined({ database: target.database?.target, connectWaitSeconds: target.connectWaitSeconds }), ...sharedOptions(argv, logger, cwd, loaded.parseCache) });
      const { githubWorkspace } = loaded;
      const annotationPath = (path: string): string => (githubWorkspace === undefined ? path : relative(githubWorkspace, resolve(cwd, path)).split(sep).join('/'));
      return { migrator, logger, annotationPath, ...defined({ scratchServer, onProgress: progress?.onProgress }) };
    },
    async openMany(argv: GlobalArgs, needs = {}) {
      const databases = databasesOf(argv);
      if (argv.targets === undefined && argv['targets-query'] === undefined && databases.length < 2) {
        refuseManyOnly(argv);
        return undefined;
      }
      const { loaded, logger, flags, cwd } = await prepare(argv);
      const listed = resolveCliTargets(loaded, { ...flags, databases, targetsFile: argv.targets, targetsQuery: argv['targets-query'] }, cwd);
      const { connectWaitSeconds } = resolveCliTarget(loaded, flags, cwd, false);
      const options = { ...sharedOptions(argv, logger, cwd, loaded.parseCache), ...defined({ connectWaitSeconds, parallel: argv.parallel, failFast: argv['fail-fast'], canary: argv.canary }) };
      const targets =
        listed === undefined ? [] : listed.kind === 'list' ? listed.targets : await queryTargets(listed, logger, defined({ connectWaitSeconds, signal: app.signal }));
      const scratchServer = scratchOf(needs.scratch, loaded, flags, cwd);
      return { targets, options, logger, ...defined({ scratchServer }) };
    },
  };

  // With a parse callback yargs hands over what it would print (help, version, completion) instead of
  // writing it to the process's console itself.
  const printed = (_error: unknown, _argv: unknown, output: string): void => {
    if (output !== '') io.stdout.write(`${output}\n`);
  };
  try {
    try {
      await buildParser(app, args).parseAsync([...args], printed);
    } finally {
      // Erased before the summary or the error is written.
      progress?.close();
    }
  } catch (error) {
    exitStatus = report(error, logger, io, pretty);
  }
  const spent = runProfile(entered);
  logger?.debug('where the time went', spent);
  if (profile) io.stderr.write(profileText(spent));
  return exitStatus;
}

/** Where the command's scratch flags (if it has any) build scratch databases. */
function scratchOf(scratch: ScratchArgs | undefined, loaded: CliEnvironment, flags: TargetFlags, cwd: string): ScratchServer | undefined {
  return scratch === undefined ? undefined : scratchServerOf(scratch, (url) => resolveScratchDatabase(loaded, url, flags, cwd));
}

/** What every migrator of the run shares, whatever its database. */
function sharedOptions(argv: GlobalArgs, logger: Logger, cwd: string, parseCache: boolean) {
  return {
    cwd,
    parseCache,
    migrationsDir: argv['migrations-dir'],
    rollbacksDir: argv['rollbacks-dir'],
    lockWaitSeconds: argv['lock-wait'],
    lockTimeout: argv['lock-timeout'],
    lockRetries: argv['lock-retries'],
    lock: argv.lock,
    logger,
    ...defined({
      statementTimeout: argv['statement-timeout'],
      table: argv.table,
      schema: argv.schema,
      outOfOrder: argv['allow-out-of-order'],
      repeatableDir: argv['repeatable-dir'],
    }),
  };
}

/** --database as given: once, several times (a many-database run), or not at all. */
function databasesOf(argv: GlobalArgs): string[] {
  const given: unknown = argv.database;
  return (Array.isArray(given) ? given : given === undefined ? [] : [given]).map(String);
}

/** The flags that only shape a many-database run mean nothing for one database. */
function refuseManyOnly(argv: GlobalArgs): void {
  const given = (['parallel', 'fail-fast', 'canary'] as const).find((flag) => argv[flag] !== undefined);
  if (given !== undefined) {
    throw new PgshiftError('USAGE', `--${given} goes with several targets`, { hint: 'name them with --targets FILE, --targets-query SQL or several --database flags' });
  }
}

async function queryTargets(listed: Extract<CliTargets, { kind: 'query' }>, logger: Logger, options: { connectWaitSeconds?: number; signal?: AbortSignal }) {
  const targets = await targetsFromQuery(listed.database, listed.sql, { logger, urlSettings: listed.urlSettings, ...options });
  if (targets.length === 0) logger.warn('--targets-query returned no targets: nothing to do');
  return targets;
}

function buildParser(app: App, args: readonly string[]) {
  const parser = yargs([...args])
    .scriptName('pgshift')
    // Flags keep their one spelling: without this an unknown --bogus-flag is reported twice (bogus-flag, bogusFlag).
    .parserConfiguration({ 'camel-case-expansion': false })
    .usage('$0 <command> [options]\n\nPostgreSQL schema migrations from migrations/NNN_name.sql, with a checksummed ledger.')
    .options(globalOptions)
    .command(upCommand(app))
    .command(downCommand(app))
    .command(statusCommand(app))
    .command(validateCommand(app))
    .command(verifyCommand(app))
    .command(driftCommand(app))
    .command(traceCommand(app))
    .command(lintCommand(app))
    .command(redoCommand(app))
    .command(newCommand(app))
    .command(baselineCommand(app))
    .command(repairCommand(app))
    .command(testDbCommand(app))
    .completion('completion', COMPLETION)
    .demandCommand(1, 'name a command: up, down, status, validate, verify, drift, trace, lint, redo, new, baseline, repair, test-db or completion')
    .recommendCommands()
    // Not .strict(): it rejects the completion command, which yargs does not register as a command.
    .strictCommands()
    .strictOptions()
    .exitProcess(false)
    .fail((message, error) => {
      // yargs rewraps what an option's check (coerce) throws in its own YError: still a usage error.
      const usage = error?.name === 'YError' ? error.message : error === undefined ? message : undefined;
      if (usage === undefined) throw error;
      throw new PgshiftError('USAGE', choiceMessage(usage), { hint: 'pgshift --help lists commands and options' });
    })
    .version(PGSHIFT_VERSION)
    .help()
    .alias('help', 'h');
  // Middleware sees the command's own options too: a boolean flag's value is a boolean there.
  parser.middleware((argv) => refuseBooleanValues(args, argv), true);
  parser.middleware((argv) => refuseRepeatedFlags(argv), true);
  parser.middleware((argv) => refuseTargetsFlags(argv), true);
  skipHelpCache(parser);
  return groupHelp(parser, [], ALL_GROUPS, false);
}

/**
 * yargs renders a command's whole --help text before it runs the command's handler, keeping it in case the
 * handler fails and help is shown on failure. pgshift never shows help on failure (.fail reports the
 * error), and the rendering measuring every option's text cost a no-op `up` about a sixth of its time. The
 * hook is yargs-internal; the help and command tests fail if a yargs upgrade moves it.
 */
function skipHelpCache(parser: Argv): void {
  const usage = (parser as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }).getInternalMethods().getUsageInstance();
  usage.cacheHelpMessage = () => undefined;
}

/**
 * yargs reads `--dry-run=yes` as false: a typo for true would run for real what was meant as a dry run. A
 * boolean flag takes no value, or exactly true or false.
 */
function refuseBooleanValues(args: readonly string[], argv: Readonly<Record<string, unknown>>): void {
  for (const arg of args) {
    const match = /^--(?:no-)?([^=]+)=(.*)$/s.exec(arg);
    if (match && typeof argv[match[1] as string] === 'boolean' && !['true', 'false'].includes(match[2] as string)) {
      throw new PgshiftError('USAGE', `--${match[1]} takes no value, or true or false, not ${JSON.stringify(match[2])}`, {
        hint: `write --${match[1]} (or --no-${match[1]}, --${match[1]}=false)`,
      });
    }
  }
}

/** Positionals that take several values; every flag takes one. */
const LISTS = new Set(['_', '$0', '--', 'paths']);

/**
 * yargs gathers a flag given twice into a list, which a string flag would then read joined with commas: two
 * database URLs would become one that names neither, and its message would print both, passwords and all.
 * Only --database may repeat, and only for the commands that take many targets.
 */
function refuseRepeatedFlags(argv: Readonly<Record<string, unknown>>): void {
  const many = isManyCommand(argv);
  const repeated = Object.keys(argv).find((key) => !LISTS.has(key) && Array.isArray(argv[key]) && !(many && key === 'database'));
  if (repeated !== undefined) {
    throw new PgshiftError('USAGE', `--${repeated} is given more than once`, { hint: `give --${repeated} once: pgshift does not choose between two values` });
  }
}

/** The "Many databases" flags belong to up, down, status, validate and drift; any other command refuses them. */
function refuseTargetsFlags(argv: Readonly<Record<string, unknown>>): void {
  if (isManyCommand(argv) || argv['_'] === undefined || (argv['_'] as unknown[]).length === 0) return;
  const given = MANY_FLAGS.find((flag) => argv[flag] !== undefined);
  if (given === undefined) return;
  throw new PgshiftError('USAGE', `--${given} is for ${MANY_COMMANDS.join(', ')}, not ${String((argv['_'] as unknown[])[0])}`, {
    hint: 'run this command on one database at a time (one --database)',
  });
}

const MANY_FLAGS = ['targets', 'targets-query', 'parallel', 'fail-fast', 'canary'] as const;

function isManyCommand(argv: Readonly<Record<string, unknown>>): boolean {
  const command = (argv['_'] as unknown[] | undefined)?.[0];
  return (MANY_COMMANDS as readonly unknown[]).includes(command);
}

function report(error: unknown, logger: Logger | undefined, io: CliIo, pretty: boolean): number {
  if (!isPgshiftError(error)) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`pgshift: unexpected error (please report it): ${text}\n`);
    return EXIT_UNEXPECTED;
  }
  const status = exitStatusOf(error.code);
  if (pretty) io.stderr.write(errorText(error));
  // An error found before the run's logger exists (a bad flag, an unreadable .env) is a JSON line too, with its code.
  else (logger ?? jsonLogger(DEFAULTS.logLevel, io.stderr)).error(error.message, errorFields(error, status));
  return status;
}

/** yargs' message for one value outside an option's choices, said the way pgshift's other usage errors are. */
function choiceMessage(message: string): string {
  const match = /^Invalid values:\n\s+Argument: ([\w-]+), Given: (.*), Choices: (.*)$/.exec(message);
  return match ? `--${match[1]} ${match[2]} is not one of ${(match[3] ?? '').replaceAll('"', '')}` : message;
}

/** The command word of `args`: the first that is neither an option nor the value of a global option before it. */
function commandOf(args: readonly string[]): string | undefined {
  const takesValue = new Set(Object.entries(globalOptions).filter(([, option]) => option.type === 'string').map(([name]) => `--${name}`));
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (!arg.startsWith('-')) return arg;
    if (takesValue.has(arg)) index++;
  }
  return undefined;
}
