import type { CommandModule, InferredOptionTypes } from 'yargs';
import { PgshiftError } from '../../core/errors.js';
import { KEEP_DIGITS, keepSeconds } from '../../core/test-databases.js';
import { groupHelp, type App, type GlobalArgs } from '../app.js';
import { asJson } from '../render.js';

const keep = {
  keep: {
    type: 'string',
    // A value starting with a dash (-1d) is this flag's, to be refused by its check, not short flags.
    nargs: 1,
    describe: 'how long clones (and, at a build, templates of other files) are kept: 0, or whole days, hours, minutes or seconds: 1d, 12h, 30min, 90s',
    default: '1d',
  },
} as const;

type KeepArgs = GlobalArgs & InferredOptionTypes<typeof keep>;

/** `pgshift test-db create|drop|prune`: databases with every migration applied, cloned from a template. */
export function testDbCommand(app: App): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'test-db',
    describe: 'test databases: every migration applied once into a template, cloned per test (needs a server: DATABASE_URL or --database)',
    builder: (yargs) =>
      yargs
        .command(createCommand(app))
        .command(dropCommand(app))
        .command(pruneCommand(app))
        .demandCommand(1, 'name a test-db command: create, drop or prune'),
    handler: () => undefined,
  };
}

function createCommand(app: App): CommandModule<GlobalArgs, KeepArgs> {
  return {
    command: 'create',
    describe: 'clone a new test database (building the template first if the files changed) and print its URL, password hidden',
    builder: (yargs) => groupHelp(yargs.options(keep), Object.keys(keep), BUILD_GROUPS),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      // The database outlives this command: only its age tells prune it may go.
      const database = await migrator.testDatabase({ signal: app.signal, keepSeconds: keepOf(argv.keep), detached: true });
      app.write(argv.json ? asJson({ name: database.name, url: database.safeUrl }) : `${database.safeUrl}\n`);
    },
  };
}

function dropCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & { name: string }> {
  return {
    command: 'drop <name>',
    describe: 'drop a test database (pgshift_test_...) and any connection to it',
    builder: (yargs) => groupHelp(yargs.positional('name', { type: 'string', demandOption: true, describe: 'the database: its name, or the URL create printed' }), [], ['connection']),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      const dropped = await migrator.dropTestDatabase(String(argv.name), { signal: app.signal });
      app.write(argv.json ? asJson({ dropped }) : `dropped ${dropped}\n`);
    },
  };
}

function pruneCommand(app: App): CommandModule<GlobalArgs, KeepArgs> {
  return {
    command: 'prune',
    describe: 'drop templates of other files, unfinished builds, clones older than --keep and clones of processes that are gone',
    builder: (yargs) => groupHelp(yargs.options(keep), Object.keys(keep), BUILD_GROUPS),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      const result = await migrator.pruneTestDatabases({ signal: app.signal, keepSeconds: keepOf(argv.keep) });
      const lines = [...result.dropped.map(({ name, reason }) => `dropped ${name}: ${reason}\n`), ...result.left.map(({ name, reason }) => `left ${name}: ${reason}\n`)];
      app.write(argv.json ? asJson(result) : lines.length === 0 ? 'nothing to prune\n' : lines.join(''));
    },
  };
}

/** What create and prune use: the server, the files and the ledger and schema the template gets, and how long to wait for the lock. */
const BUILD_GROUPS = ['connection', 'ledger', 'files', 'run'] as const;

function keepOf(text: string): number {
  const seconds = keepSeconds(text);
  if (seconds === 'too large') {
    throw new PgshiftError('USAGE', `--keep ${JSON.stringify(text)} is too large`, { hint: `give --keep at most ${KEEP_DIGITS} digits of a unit, leading zeros aside: 999999999d keeps for ever` });
  }
  if (seconds === undefined) {
    throw new PgshiftError('USAGE', `--keep ${JSON.stringify(text)} is not a duration`, { hint: 'give --keep 0, or whole days, hours, minutes or seconds in PostgreSQL\'s units: 1d, 12h, 30min, 90s' });
  }
  return seconds;
}
