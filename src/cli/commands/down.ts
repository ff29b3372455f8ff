import type { CommandModule, InferredOptionTypes } from 'yargs';
import { defined } from '../../core/defined.js';
import { PgshiftError } from '../../core/errors.js';
import { runMany } from '../many.js';
import { ALL_GROUPS, dryRunOption, groupHelp, numberOption, progressOptions, type App, type GlobalArgs } from '../app.js';
import { asJson, planOutput } from '../render.js';

const options = {
  steps: { ...numberOption('steps', 'steps', 'how many migrations to revert (default 1)'), conflicts: ['to', 'all'] },
  to: { ...numberOption('to', 'version', 'keep version V and revert every applied version above it (--to 0 keeps a version 0 applied; --all reverts everything)'), conflicts: 'all' },
  all: { type: 'boolean', describe: 'revert every applied migration' },
  ...dryRunOption,
  ...progressOptions,
} as const;

export function downCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'down',
    describe: 'revert applied migrations, newest first, each rollback with its ledger row',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ALL_GROUPS.filter((group) => group !== 'pending')),
    handler: async (argv) => {
      const call = defined({ steps: argv.steps, to: argv.to, all: argv.all });
      const many = await app.openMany(argv);
      if (many) {
        if (argv['dry-run']) throw new PgshiftError('USAGE', '--dry-run shows the SQL for one database', { hint: 'run pgshift down --dry-run with one --database' });
        return runMany(app, many, 'down', { down: call }, argv.json);
      }
      const { migrator, onProgress } = await app.open(argv, { database: true, ...(argv['dry-run'] ? {} : { progress: argv }) });
      const options = { signal: app.signal, ...call };
      if (argv['dry-run']) return app.write(planOutput(await migrator.plan({ direction: 'down', ...options }), argv.json));
      const result = await migrator.down({ ...options, ...defined({ onProgress }) });
      if (argv.json) app.write(asJson(result.migrations));
    },
  };
}
