import type { CommandModule, InferredOptionTypes } from 'yargs';
import { defined } from '../../core/defined.js';
import { PgshiftError } from '../../core/errors.js';
import { ALL_GROUPS, dryRunOption, groupHelp, numberOption, progressOptions, scratchOptions, type App, type GlobalArgs } from '../app.js';
import { asJson, planOutput } from '../render.js';
import { traceComments } from '../render-trace.js';
import { refuseTraceFlags, stopOnFindings, traceOptions } from './trace.js';
import { runMany } from '../many.js';
import { review, reviewFormat } from './up-review.js';
import { REVIEW_FORMATS } from '../render-review.js';

const options = {
  to: numberOption('to', 'version', 'stop after this version'),
  migration: { type: 'string', describe: 'apply only this file, even out of order' },
  'single-transaction': { type: 'boolean', describe: 'apply all pending migrations in one transaction: all or nothing' },
  ...dryRunOption,
  lint: { type: 'boolean', default: true, describe: 'lint the files before running them (--no-lint skips it)' },
  trace: { type: 'boolean', describe: 'with --dry-run: also trace the locks each pending migration takes, on a scratch copy (as pgshift trace)' },
  ...traceOptions,
  strict: { type: 'boolean', describe: 'lint warnings (and with --trace, trace findings) stop the run (exit 3)' },
  format: {
    type: 'string',
    choices: REVIEW_FORMATS,
    describe: 'with --dry-run: sql (the psql script, the default), markdown (a pull-request comment: verdict, findings, SQL) or github (workflow annotations on the diff)',
  },
  'base-ref': {
    type: 'string',
    describe: 'with --dry-run --format markdown|github: review the migration files added since this git commit (a branch, tag or sha), with no database',
  },
  ...scratchOptions,
  ...progressOptions,
} as const;

export function upCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'up',
    describe: 'apply pending migrations in order, each in its own transaction with its ledger row',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ALL_GROUPS),
    handler: async (argv) => {
      if (argv.trace === true && argv['dry-run'] !== true) {
        throw new PgshiftError('USAGE', '--trace goes with --dry-run: a trace runs on a scratch copy, never in a real run', { hint: 'pgshift up --dry-run --trace, or pgshift trace' });
      }
      if (argv.trace !== true) refuseTraceFlags(argv, ['big', 'scratch', 'scratch-database'], '--dry-run --trace');
      const format = reviewFormat(argv);
      const call = { ...defined({ to: argv.to, migration: argv.migration, singleTransaction: argv['single-transaction'], strict: argv.strict }), lint: argv.lint };
      const many = await app.openMany(argv);
      if (many) {
        if (argv['dry-run']) throw new PgshiftError('USAGE', '--dry-run shows the SQL for one database', { hint: 'run pgshift up --dry-run with one --database' });
        return runMany(app, many, 'up', { up: call }, argv.json);
      }
      if (format !== 'sql') return review(app, await app.open(argv, { database: argv['base-ref'] === undefined, scratch: argv }), argv, format);
      const { migrator, logger, scratchServer, onProgress } = await app.open(argv, { database: true, scratch: argv, ...(argv['dry-run'] ? {} : { progress: argv }) });
      const options = { signal: app.signal, ...call };
      if (argv['dry-run']) {
        const plan = await migrator.plan({ direction: 'up', ...options });
        if (argv.trace !== true) return app.write(planOutput(plan, argv.json));
        const trace = await migrator.trace({ signal: app.signal, ...defined({ to: argv.to, migration: argv.migration, big: argv.big, scratchServer }) });
        app.write(argv.json ? asJson({ ...plan, trace }) : `${planOutput(plan, false)}${traceComments(trace)}`);
        stopOnFindings(app, logger, trace, argv.strict === true);
        return;
      }
      const result = await migrator.up({ ...options, ...defined({ onProgress }) });
      // Repeatable files after the migrations, marked as such: they have a name, not a version.
      if (argv.json) app.write(asJson([...result.migrations, ...(result.repeatables ?? []).map((file) => ({ direction: 'up', repeatable: true, ...file }))]));
    },
  };
}
