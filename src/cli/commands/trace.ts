import type { CommandModule, InferredOptionTypes } from 'yargs';
import { defined } from '../../core/defined.js';
import { PgshiftError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TraceReport } from '../../migrator-types.js';
import { DEFAULTS } from '../../config/defaults.js';
import { groupHelp, numberOption, scratchOptions, type App, type GlobalArgs } from '../app.js';
import { EXIT_INVALID } from '../exit-status.js';
import { asJson } from '../render.js';
import { traceText } from '../render-trace.js';

export const traceOptions = {
  // nargs: 1 takes -1MB as the value, to be refused as a size naming --big rather than read as flags -1 -M -B.
  big: { type: 'string', nargs: 1, describe: `a lock that blocks writes on a table of the target at least this big is a finding (units kB, MB, GB, TB; default ${DEFAULTS.traceBig})` },
  strict: { type: 'boolean', describe: 'findings make the exit status 3' },
} as const;

const options = {
  all: { type: 'boolean', describe: 'trace every migration, each on the schema the ones before it build', conflicts: 'migration' },
  migration: { type: 'string', describe: 'trace only this migration file' },
  to: { ...numberOption('to', 'version', 'stop after this version, as up would'), conflicts: 'migration' },
  ...traceOptions,
  ...scratchOptions,
} as const;

export function traceCommand(app: App): CommandModule<GlobalArgs, GlobalArgs & InferredOptionTypes<typeof options>> {
  return {
    command: 'trace',
    describe: 'run pending migrations statement by statement on a scratch copy and report the locks each takes, weighed by the target\'s table sizes; changes nothing',
    builder: (yargs) => groupHelp(yargs.options(options), Object.keys(options), ['connection', 'ledger', 'files', 'pending']),
    handler: async (argv) => {
      const { migrator, logger, scratchServer } = await app.open(argv, { database: true, scratch: argv });
      const report = await migrator.trace({ signal: app.signal, ...defined({ all: argv.all, migration: argv.migration, to: argv.to, big: argv.big, scratchServer }) });
      app.write(argv.json ? asJson(report) : traceText(report));
      stopOnFindings(app, logger, report, argv.strict === true);
    },
  };
}

/** A trace flag given to a command that runs no trace (`up` without --trace, `verify` without --locks) is a mistake. */
export function refuseTraceFlags(argv: Readonly<Record<string, unknown>>, flags: readonly string[], needs: string): void {
  const given = flags.find((flag) => argv[flag] !== undefined);
  if (given === undefined) return;
  throw new PgshiftError('USAGE', `--${given} applies to a trace, and this command runs none without ${needs}`, { hint: `add ${needs}, or leave --${given} out` });
}

/**
 * Findings of rules set to "error" always, and every finding under --strict, make the exit status 3; the
 * log says why, since stdout holds the report.
 */
export function stopOnFindings(app: App, logger: Logger, report: TraceReport, strict: boolean): void {
  const stopping = report.findings.filter((finding) => strict || finding.severity === 'error');
  if (stopping.length === 0) return;
  logger.error(`trace: ${stopping.length} finding${stopping.length === 1 ? '' : 's'} ${strict ? 'with --strict' : 'of rules set to "error"'}`, {
    hint: 'make each change the safer way its hint gives, or allow it for one statement with -- pgshift:allow RULE-ID reason',
  });
  app.setExitStatus(EXIT_INVALID);
}
