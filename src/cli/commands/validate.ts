import type { CommandModule } from 'yargs';
import { runMany } from '../many.js';
import { groupHelp, type App, type GlobalArgs } from '../app.js';
import { EXIT_INVALID } from '../exit-status.js';
import { asJson, problemsText } from '../render.js';

export function validateCommand(app: App): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'validate',
    describe: 'check files and ledger without running anything; exit 3 with a list of problems',
    builder: (yargs) => groupHelp(yargs, [], ['connection', 'ledger', 'files', 'pending', 'targets']),
    handler: async (argv) => {
      const many = await app.openMany(argv);
      if (many) return runMany(app, many, 'validate', {}, argv.json);
      const { migrator } = await app.open(argv);
      const problems = await migrator.validate({ signal: app.signal });
      if (argv.json) app.write(asJson(problems));
      else app.write(problems.length === 0 ? 'no problems found\n' : problemsText(problems));
      if (problems.length > 0) app.setExitStatus(EXIT_INVALID);
    },
  };
}
