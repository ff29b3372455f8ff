import type { CommandModule } from 'yargs';
import { runMany } from '../many.js';
import { groupHelp, type App, type GlobalArgs } from '../app.js';
import { describeHolder } from '../../core/lock-holder.js';
import { repeatableTable, statusJson, statusTable } from '../render.js';

export function statusCommand(app: App): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'status',
    describe: 'list every version: applied, pending, changed (checksum drift) or missing',
    builder: (yargs) => groupHelp(yargs, [], ['connection', 'ledger', 'files', 'pending', 'targets']),
    handler: async (argv) => {
      const many = await app.openMany(argv);
      if (many) return runMany(app, many, 'status', {}, argv.json);
      const { migrator, logger } = await app.open(argv);
      const { entries, repeatables, problems, lockHolder } = await migrator.status({ signal: app.signal });
      for (const problem of problems) logger.warn(problem.message, { code: problem.code, hint: problem.hint });
      const lock = lockHolder ? `migration lock: held ${describeHolder(lockHolder)}` : undefined;
      if (lock && argv.json) logger.info(lock, { lockHolder });
      app.write(argv.json ? statusJson(entries) : `${statusTable(entries)}${repeatableTable(repeatables)}${lock ? `\n${lock}\n` : ''}`);
    },
  };
}
