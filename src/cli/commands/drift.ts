import type { CommandModule, InferredOptionTypes } from 'yargs';
import { PgshiftError } from '../../core/errors.js';
import { defined } from '../../core/defined.js';
import { runMany } from '../many.js';
import { groupHelp, scratchOptions, type App, type GlobalArgs } from '../app.js';
import { EXIT_INVALID } from '../exit-status.js';
import { asJson } from '../render.js';
import { driftSql, driftText } from '../render-drift.js';

const options = {
  sql: { type: 'boolean', describe: 'print the statements that would bring the database back to its migrations (never runs them)' },
  privileges: { type: 'boolean', describe: 'also compare owners and grants (off by default: roles differ between environments)' },
  ...scratchOptions,
} as const;

export function driftCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'drift',
    describe: 'compare the database with the schema its applied migrations build in a scratch database; changes nothing; exit 3 on a difference',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ['connection', 'ledger', 'files', 'targets']),
    handler: async (argv) => {
      const many = await app.openMany(argv, { scratch: argv });
      if (many) {
        if (argv.sql === true) throw new PgshiftError('USAGE', '--sql prints the statements for one database', { hint: 'run pgshift drift --sql with one --database' });
        return runMany(app, many, 'drift', { drift: { privileges: argv.privileges === true, ...defined({ scratchServer: many.scratchServer }) } }, argv.json);
      }
      const { migrator, scratchServer } = await app.open(argv, { database: true, scratch: argv });
      const report = await migrator.drift({ signal: app.signal, privileges: argv.privileges === true, ...(scratchServer ? { scratchServer } : {}) });
      app.write(argv.json ? asJson(report) : argv.sql ? driftSql(report) : driftText(report));
      if (report.drift) app.setExitStatus(EXIT_INVALID);
    },
  };
}
