import type { CommandModule, InferredOptionTypes } from 'yargs';
import { defined } from '../../core/defined.js';
import { groupHelp, scratchOptions, type App, type GlobalArgs } from '../app.js';
import { EXIT_INVALID } from '../exit-status.js';
import { asJson, verifyText } from '../render.js';

const options = {
  all: { type: 'boolean', describe: 'check every migration, from an empty scratch database' },
  migration: { type: 'string', describe: 'check only this migration file' },
  ...scratchOptions,
} as const;

export function verifyCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'verify',
    describe: 'check that each rollback undoes its migration (pending ones by default); changes nothing; exit 3 on a difference',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ['connection', 'ledger', 'files']),
    handler: async (argv) => {
      const { migrator, scratchServer } = await app.open(argv, { database: true, scratch: argv });
      const results = await migrator.verify({
        signal: app.signal,
        ...defined({ all: argv.all, migration: argv.migration, scratch: argv.scratch === undefined ? undefined : true, scratchServer }),
      });
      app.write(argv.json ? asJson(results) : verifyText(results));
      if (results.some((result) => result.outcome === 'fail' || result.outcome === 'unwritten' || result.outcome === 'not verified')) app.setExitStatus(EXIT_INVALID);
    },
  };
}
