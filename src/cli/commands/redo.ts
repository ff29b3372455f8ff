import type { CommandModule, InferredOptionTypes } from 'yargs';
import { defined } from '../../core/defined.js';
import { dryRunOption, groupHelp, progressOptions, type App, type GlobalArgs } from '../app.js';
import { asJson, planOutput } from '../render.js';

const options = { ...dryRunOption, ...progressOptions } as const;

export function redoCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'redo',
    describe: 'revert the newest applied migration and apply it again (for development)',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ['connection', 'ledger', 'files', 'run']),
    handler: async (argv) => {
      const { migrator, onProgress } = await app.open(argv, { database: true, ...(argv['dry-run'] ? {} : { progress: argv }) });
      if (argv['dry-run']) return app.write(planOutput(await migrator.plan({ direction: 'redo', signal: app.signal }), argv.json));
      const result = await migrator.redo({ signal: app.signal, ...defined({ onProgress }) });
      if (argv.json) app.write(asJson(result.migrations));
    },
  };
}
