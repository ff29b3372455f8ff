import type { CommandModule, InferredOptionTypes } from 'yargs';
import type { App, GlobalArgs } from '../app.js';
import { planJson, planText, resultsJson } from '../render.js';

const options = {
  to: { type: 'number', describe: 'stop after this version' },
  migration: { type: 'string', describe: 'apply only this file, even out of order' },
  'single-transaction': { type: 'boolean', describe: 'apply all pending migrations in one transaction: all or nothing' },
  'dry-run': { type: 'boolean', describe: 'print the SQL that would run (a psql script) and change nothing' },
} as const;

export function upCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'up',
    describe: 'apply pending migrations in order, each in its own transaction with its ledger row',
    builder: (yargs) => yargs.options(options),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      const options = {
        signal: app.signal,
        ...(argv.to === undefined ? {} : { to: argv.to }),
        ...(argv.migration === undefined ? {} : { migration: argv.migration }),
        ...(argv['single-transaction'] === undefined ? {} : { singleTransaction: argv['single-transaction'] }),
      };
      if (argv['dry-run']) {
        const plan = await migrator.plan({ direction: 'up', ...options });
        app.write(argv.json ? planJson(plan) : planText(plan));
        return;
      }
      const result = await migrator.up(options);
      if (argv.json) app.write(resultsJson(result.migrations));
    },
  };
}
