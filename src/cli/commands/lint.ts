import type { CommandModule } from 'yargs';
import { groupHelp, type App, type GlobalArgs } from '../app.js';
import { EXIT_INVALID } from '../exit-status.js';
import { asJson, lintText } from '../render.js';

export function lintCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & { paths: string[] | undefined; strict: boolean | undefined }> {
  return {
    command: 'lint [paths..]',
    describe: 'check migrations for changes that would lock production or break the team rules (default: pending migrations and all rollbacks)',
    builder: (yargs) =>
      groupHelp(
        yargs
          .positional('paths', { type: 'string', array: true, describe: 'files to lint (then no database is used)' })
          .option('strict', { type: 'boolean', describe: 'exit 3 on warnings too' }),
        ['strict'],
        // Without paths, lint reads the ledger to find the pending migrations; it never runs or locks.
        ['connection', 'ledger', 'files'],
      ),
    handler: async (argv) => {
      const paths = argv.paths ?? [];
      const { migrator } = await app.open(argv, { database: paths.length === 0 });
      const result = await migrator.lint({ signal: app.signal, paths });
      app.write(argv.json ? asJson(result) : lintText(result));
      const failing = result.problems.length > 0 || result.findings.some((finding) => argv.strict || finding.severity === 'error');
      if (failing) app.setExitStatus(EXIT_INVALID);
    },
  };
}
