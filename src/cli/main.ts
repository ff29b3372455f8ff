#!/usr/bin/env node
/**
 * The pgshift command. Parses arguments, loads .env, builds the migrator, turns errors into exit statuses.
 * The only module that imports yargs and dotenv, and the only one that exits the process.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import dotenv from 'dotenv';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { mergeEnvironment, resolveDatabase, type DotenvFile, type MergedEnvironment } from '../config/environment.js';
import { isPgshiftError, PgshiftError } from '../core/errors.js';
import { parseNumber } from '../core/numbers.js';
import type { Logger } from '../core/logger.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../log.js';
import { createMigrator } from '../migrator.js';
import { PGSHIFT_VERSION } from '../version.js';
import { ALL_GROUPS, globalOptions, groupHelp, type App, type GlobalArgs } from './app.js';
import { baselineCommand } from './commands/baseline.js';
import { downCommand } from './commands/down.js';
import { lintCommand } from './commands/lint.js';
import { newCommand } from './commands/new.js';
import { redoCommand } from './commands/redo.js';
import { repairCommand } from './commands/repair.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import { validateCommand } from './commands/validate.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_UNEXPECTED, exitStatusOf } from './exit-status.js';
import { errorFields, errorText } from './render.js';

const pretty = process.stderr.isTTY === true;

export async function main(args: readonly string[]): Promise<number> {
  const controller = new AbortController();
  const interrupt = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.stderr.write(`pgshift: ${signal}: stopping: a statement that is running is cancelled and its transaction rolled back (send it again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  let exitStatus = EXIT_OK;
  let logger: Logger | undefined;
  const app: App = {
    signal: controller.signal,
    write: (text) => void process.stdout.write(text),
    setExitStatus: (status) => void (exitStatus = status),
    async open(argv: GlobalArgs, needs = { database: true }) {
      const environment = mergeEnvironment(process.env, readDotenv(argv.dotenv));
      const { env } = environment;
      const level = (argv['log-level'] ?? env['PGSHIFT_LOG_LEVEL'] ?? 'info') as LogLevel;
      if (!LOG_LEVELS.includes(level)) {
        throw new PgshiftError('USAGE', `log level ${level} is not one of ${LOG_LEVELS.join(', ')}`);
      }
      logger = await createLogger({ level, pretty });
      warnIgnored(logger, environment);
      const cwd = process.cwd();
      const choice = needs.database
        ? resolveDatabase(argv.database, environment, cwd, {
            passwordCommand: argv['password-command'],
            connectTimeoutSeconds: argv['connect-timeout'],
          })
        : undefined;
      const wait = argv.wait ?? (env['PGSHIFT_WAIT'] ? parseNumber('PGSHIFT_WAIT', env['PGSHIFT_WAIT'], 'seconds') : undefined);
      const migrator = createMigrator({
        ...(choice ? { database: choice.target } : {}),
        cwd,
        migrationsDir: argv['migrations-dir'],
        rollbacksDir: argv['rollbacks-dir'],
        lockWaitSeconds: argv['lock-wait'],
        ...(wait === undefined ? {} : { connectWaitSeconds: wait }),
        lockTimeout: argv['lock-timeout'],
        lockRetries: argv['lock-retries'],
        ...(argv['statement-timeout'] === undefined ? {} : { statementTimeout: argv['statement-timeout'] }),
        logger,
        ...(argv.table === undefined ? {} : { table: argv.table }),
        ...(argv.schema === undefined ? {} : { schema: argv.schema }),
      });
      return { migrator, logger };
    },
  };

  try {
    await buildParser(app, args).parseAsync();
  } catch (error) {
    return report(error, logger);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  return exitStatus;
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
    .command(lintCommand(app))
    .command(redoCommand(app))
    .command(newCommand(app))
    .command(baselineCommand(app))
    .command(repairCommand(app))
    .completion('completion', 'print a bash/zsh completion script (add its output to ~/.bashrc or ~/.zshrc)')
    .demandCommand(1, 'name a command: up, down, status, validate, verify, lint, redo, new, baseline, repair or completion')
    .recommendCommands()
    // Not .strict(): it rejects the completion command, which yargs does not register as a command.
    .strictCommands()
    .strictOptions()
    .exitProcess(false)
    .fail((message, error) => {
      // yargs rewraps what an option's check (coerce) throws in its own YError: still a usage error.
      const usage = error?.name === 'YError' ? error.message : error === undefined ? message : undefined;
      if (usage === undefined) throw error;
      throw new PgshiftError('USAGE', usage, { hint: 'pgshift --help lists commands and options' });
    })
    .version(PGSHIFT_VERSION)
    .help()
    .alias('help', 'h');
  // Middleware sees the command's own options too: a boolean flag's value is a boolean there.
  parser.middleware((argv) => refuseBooleanValues(args, argv), true);
  return groupHelp(parser, [], ALL_GROUPS, false);
}

/**
 * The .env file's variables, read into a map of their own: process.env is never changed, so the driver
 * cannot pick a variable up behind pgshift's back. Only a missing default ./.env is not an error.
 */
function readDotenv(flag: string | undefined): DotenvFile | undefined {
  const given = flag ?? (process.env['PGSHIFT_ENV_FILE'] || undefined);
  const path = resolve(given ?? '.env');
  try {
    return { path, values: dotenv.parse(readFileSync(path)) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (given === undefined && code === 'ENOENT') return undefined;
    const named = given === undefined ? '.env' : flag === undefined ? 'PGSHIFT_ENV_FILE' : '--dotenv';
    throw new PgshiftError('USAGE', `cannot read the ${named} file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`, {
      hint: 'point --dotenv (or PGSHIFT_ENV_FILE) at a readable file of NAME=value lines',
    });
  }
}

function warnIgnored(logger: Logger, environment: MergedEnvironment): void {
  if (environment.ignored.length === 0) return;
  logger.warn(
    `ignored ${environment.ignored.join(', ')} from ${environment.dotenvPath ?? '.env'}: the environment already chooses the database (${environment.targetSetBy.join(', ')}), and .env never overrides it`,
    { ignored: environment.ignored, file: environment.dotenvPath },
  );
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

function report(error: unknown, logger: Logger | undefined): number {
  if (!isPgshiftError(error)) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`pgshift: unexpected error (please report it): ${text}\n`);
    return EXIT_UNEXPECTED;
  }
  const status = exitStatusOf(error.code);
  if (pretty || !logger) process.stderr.write(errorText(error));
  else logger.error(error.message, errorFields(error, status));
  return status;
}

const status = await main(hideBin(process.argv));
// Pipes may be asynchronous (macOS): let stdout drain before the process ends.
process.stdout.write('', () => process.exit(status));
