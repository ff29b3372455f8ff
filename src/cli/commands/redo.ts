import type { CommandModule, InferredOptionTypes } from 'yargs';
import type { App, GlobalArgs } from '../app.js';
import { planJson, planText, resultsJson } from '../render.js';

const options = {
  'dry-run': { type: 'boolean', describe: 'print the SQL that would run (a psql script) and change nothing' },
} as const;

export function redoCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'redo',
    describe: 'revert the newest applied migration and apply it again (for development)',
    builder: (yargs) => yargs.options(options),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      if (argv['dry-run']) {
        const plan = await migrator.plan({ direction: 'redo', signal: app.signal });
        app.write(argv.json ? planJson(plan) : planText(plan));
        return;
      }
      const result = await migrator.redo({ signal: app.signal });
      if (argv.json) app.write(resultsJson(result.migrations));
    },
  };
}
