import type { CommandModule, InferredOptionTypes } from 'yargs';
import { defined } from '../../core/defined.js';
import { groupHelp, scratchOptions, type App, type GlobalArgs } from '../app.js';
import { EXIT_INVALID } from '../exit-status.js';
import { asJson, verifyText } from '../render.js';
import { traceText } from '../render-trace.js';
import { refuseTraceFlags, stopOnFindings, traceOptions } from './trace.js';

const options = {
  all: { type: 'boolean', describe: 'check every migration, from an empty scratch database' },
  migration: { type: 'string', describe: 'check only this migration file' },
  locks: { type: 'boolean', describe: 'also trace the locks each migration takes, as pgshift trace does (--big, --strict apply to it)' },
  ...traceOptions,
  ...scratchOptions,
  scratch: { ...scratchOptions.scratch, describe: `${scratchOptions.scratch.describe}; with no value: check in a scratch database on the target's server even where a rolled-back transaction would do` },
} as const;

export function verifyCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'verify',
    describe: 'check that each rollback undoes its migration (pending ones by default); changes nothing; exit 3 on a difference',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ['connection', 'ledger', 'files', 'pending']),
    handler: async (argv) => {
      if (argv.locks !== true) refuseTraceFlags(argv, ['big', 'strict'], '--locks');
      const { migrator, logger, scratchServer } = await app.open(argv, { database: true, scratch: argv });
      const selection = { signal: app.signal, ...defined({ all: argv.all, migration: argv.migration, scratchServer }) };
      const results = await migrator.verify({ ...selection, ...defined({ scratch: argv.scratch === undefined ? undefined : true }) });
      const trace = argv.locks === true ? await migrator.trace({ ...selection, ...defined({ big: argv.big }) }) : undefined;
      if (trace === undefined) app.write(argv.json ? asJson(results) : verifyText(results));
      else app.write(argv.json ? asJson({ verify: results, trace }) : `${verifyText(results)}\n${traceText(trace)}`);
      const failed = results.some((result) => result.outcome === 'fail' || result.outcome === 'unwritten' || result.outcome === 'not verified');
      if (trace !== undefined) stopOnFindings(app, logger, trace, argv.strict === true);
      if (failed) app.setExitStatus(EXIT_INVALID);
    },
  };
}
