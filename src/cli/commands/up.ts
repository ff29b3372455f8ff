import type { CommandModule, InferredOptionTypes } from 'yargs';
import { defined } from '../../core/defined.js';
import { ALL_GROUPS, dryRunOption, groupHelp, numberOption, type App, type GlobalArgs } from '../app.js';
import { asJson, planOutput } from '../render.js';

const options = {
  to: numberOption('to', 'version', 'stop after this version'),
  migration: { type: 'string', describe: 'apply only this file, even out of order' },
  'single-transaction': { type: 'boolean', describe: 'apply all pending migrations in one transaction: all or nothing' },
  ...dryRunOption,
  strict: { type: 'boolean', describe: 'lint warnings stop the run (exit 3)' },
  lint: { type: 'boolean', default: true, describe: 'lint the files before running them (--no-lint skips it)' },
} as const;

export function upCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'up',
    describe: 'apply pending migrations in order, each in its own transaction with its ledger row',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ALL_GROUPS),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      const options = {
        signal: app.signal,
        ...defined({ to: argv.to, migration: argv.migration, singleTransaction: argv['single-transaction'], strict: argv.strict }),
        lint: argv.lint,
      };
      if (argv['dry-run']) return app.write(planOutput(await migrator.plan({ direction: 'up', ...options }), argv.json));
      const result = await migrator.up(options);
      if (argv.json) app.write(asJson(result.migrations));
    },
  };
}
