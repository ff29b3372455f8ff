import type { CommandModule, InferredOptionTypes } from 'yargs';
import { groupHelp, type App, type GlobalArgs } from '../app.js';
import { EXIT_INVALID } from '../exit-status.js';
import { asJson, repairText } from '../render.js';

const options = {
  force: { type: 'boolean', describe: 'also record changes beyond comments and whitespace, and changes git cannot show' },
  'dry-run': { type: 'boolean', describe: 'show what changed and the SQL that would record it; change nothing' },
} as const;

export function repairCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'repair',
    describe: 'record the current checksums of applied migrations that were edited (comments and whitespace; more with --force)',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ['connection', 'ledger', 'files', 'run']),
    handler: async (argv) => {
      const { migrator } = await app.open(argv);
      const force = argv.force === true;
      const dryRun = argv['dry-run'] === true;
      const result = await migrator.repair({ signal: app.signal, force, dryRun });
      app.write(argv.json ? asJson(result) : repairText(result, dryRun, force));
      // A dry run stops where the real run would: exit 3 when it would be refused without --force.
      if (dryRun && !force && result.changes.some((change) => change.needsForce)) app.setExitStatus(EXIT_INVALID);
    },
  };
}
