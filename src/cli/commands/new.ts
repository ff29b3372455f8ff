import type { CommandModule } from 'yargs';
import { groupHelp, type App, type GlobalArgs } from '../app.js';
import { asJson } from '../render.js';

export function newCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & { name: string }> {
  return {
    command: 'new <name>',
    describe: 'create migrations/NNN_<name>.sql and rollbacks/NNN_<name>.sql from the template',
    builder: (yargs) =>
      groupHelp(yargs.positional('name', { type: 'string', demandOption: true, describe: 'what the change does, e.g. add_orders' }), [], ['files']),
    handler: async (argv) => {
      const { migrator } = await app.open(argv, { database: false });
      const made = await migrator.create(argv.name);
      app.write(argv.json ? asJson(made) : `${made.migration}\n${made.rollback}\n`);
    },
  };
}
