import type { CommandModule, InferredOptionTypes } from 'yargs';
import { dryRunOption, groupHelp, type App, type GlobalArgs } from '../app.js';
import { asJson, planOutput } from '../render.js';

export function redoCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof dryRunOption>> {
  return {
    command: 'redo',
    describe: 'revert the newest applied migration and apply it again (for development)',
    builder: (yargs) => groupHelp(yargs.options(dryRunOption), Object.keys(dryRunOption), ['connection', 'ledger', 'files', 'run']),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      if (argv['dry-run']) return app.write(planOutput(await migrator.plan({ direction: 'redo', signal: app.signal }), argv.json));
      const result = await migrator.redo({ signal: app.signal });
      if (argv.json) app.write(asJson(result.migrations));
    },
  };
}
