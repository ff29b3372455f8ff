import type { CommandModule, InferredOptionTypes } from 'yargs';
import type { App, GlobalArgs } from '../app.js';
import { planJson, planText, resultsJson } from '../render.js';

const options = {
  steps: { type: 'number', describe: 'how many migrations to revert (default 1)', conflicts: ['to', 'all'] },
  to: { type: 'number', describe: 'revert every applied version above this one (0: all)', conflicts: 'all' },
  all: { type: 'boolean', describe: 'revert every applied migration' },
  'dry-run': { type: 'boolean', describe: 'print the SQL that would run (a psql script) and change nothing' },
} as const;

export function downCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'down',
    describe: 'revert applied migrations, newest first, each rollback with its ledger row',
    builder: (yargs) => yargs.options(options),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      const options = {
        signal: app.signal,
        ...(argv.steps === undefined ? {} : { steps: argv.steps }),
        ...(argv.to === undefined ? {} : { to: argv.to }),
        ...(argv.all === undefined ? {} : { all: argv.all }),
      };
      if (argv['dry-run']) {
        const plan = await migrator.plan({ direction: 'down', ...options });
        app.write(argv.json ? planJson(plan) : planText(plan));
        return;
      }
      const result = await migrator.down(options);
      if (argv.json) app.write(resultsJson(result.migrations));
    },
  };
}
