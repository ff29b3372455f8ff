import type { CommandModule, InferredOptionTypes } from 'yargs';
import { groupHelp, numberOption, type App, type GlobalArgs } from '../app.js';
import { asJson } from '../render.js';

const options = {
  version: { ...numberOption('version', 'version', 'the newest version the database already has'), demandOption: true },
} as const;

export function baselineCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'baseline',
    describe: 'record migrations up to --version as applied without running them (for databases changed by hand)',
    // The documented flag is --version, which yargs otherwise keeps for printing pgshift's own version.
    builder: (yargs) => groupHelp(yargs.version(false).options(options), Object.keys(options), ['connection', 'ledger', 'files', 'run']),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      const result = await migrator.baseline({ version: argv.version, signal: app.signal });
      if (argv.json) app.write(asJson(result.migrations));
    },
  };
}
