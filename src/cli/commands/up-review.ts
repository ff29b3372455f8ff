/** `up --dry-run --format markdown|github`: the dry run, and its trace when asked for, as a pull request reads them. */
import { defined } from '../../core/defined.js';
import { isPgshiftError, PgshiftError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Migrator, Plan, ScratchServer, TraceReport } from '../../migrator-types.js';
import type { App } from '../app.js';
import { reviewAnnotations, reviewMarkdown, type ReviewFormat, type Stop } from '../render-review.js';
import { stopOnFindings } from './trace.js';
import { EXIT_INVALID } from '../exit-status.js';

interface ReviewArgs {
  readonly format?: string | undefined;
  readonly 'dry-run'?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly to?: number | undefined;
  readonly migration?: string | undefined;
  readonly 'single-transaction'?: boolean | undefined;
  readonly strict?: boolean | undefined;
  readonly lint?: boolean | undefined;
  readonly trace?: boolean | undefined;
  readonly big?: string | undefined;
  readonly 'base-ref'?: string | undefined;
}

/** --format shapes a dry run's answer: a real run prints none, and --json is a format of its own. */
export function reviewFormat(argv: ReviewArgs): ReviewFormat {
  const format = (argv.format ?? 'sql') as ReviewFormat;
  if (argv['base-ref'] !== undefined) refuseBaseRef(argv, format);
  if (argv.format === undefined) return format;
  if (argv['dry-run'] !== true) {
    throw new PgshiftError('USAGE', `--format ${argv.format} goes with --dry-run: a real run prints no review`, { hint: `pgshift up --dry-run --format ${argv.format}` });
  }
  if (argv.json === true) throw new PgshiftError('USAGE', `--format ${argv.format} and --json are two answers: pick one`, { hint: '--json prints the plan as data' });
  return format;
}

/** A review against a git commit has no database, so no SQL script to print: it depends on the ledger. */
function refuseBaseRef(argv: ReviewArgs, format: ReviewFormat): void {
  if (argv['dry-run'] !== true || format === 'sql') {
    throw new PgshiftError('USAGE', '--base-ref goes with --dry-run --format markdown or github: it reviews the files, with no database to plan a script for', {
      hint: `pgshift up --dry-run --format markdown --base-ref ${argv['base-ref']}`,
    });
  }
}

interface Opened {
  readonly migrator: Migrator;
  readonly logger: Logger;
  readonly scratchServer?: ScratchServer | undefined;
  readonly annotationPath: (path: string) => string;
}

/**
 * Prints the review, also of a run that would be refused (its problems, or the error, are the review), then
 * fails as the dry run would have: the exit status says whether up would go through. Lint findings that would
 * stop up are listed with the others, and make the exit status 3 as they would have stopped it.
 */
export async function review(app: App, { migrator, logger, scratchServer, annotationPath }: Opened, argv: ReviewArgs, format: Exclude<ReviewFormat, 'sql'>): Promise<void> {
  const strict = argv.strict === true;
  let plan: Plan | undefined;
  let trace: TraceReport | undefined;
  let problems: readonly Stop[] = [];
  let failure: unknown;
  try {
    const { to, migration, strict: strictFlag } = argv;
    plan = await migrator.plan({
      direction: 'up',
      signal: app.signal,
      lint: argv.lint ?? true,
      findingsStop: false,
      ...defined({ to, migration, singleTransaction: argv['single-transaction'], strict: strictFlag, baseRef: argv['base-ref'] }),
    });
    if (argv.trace === true) {
      trace = await migrator.trace({ signal: app.signal, ...defined({ to: argv.to, migration: argv.migration, big: argv.big, scratchServer, baseRef: argv['base-ref'] }) });
    }
  } catch (error) {
    if (!isPgshiftError(error) || error.code === 'INTERRUPTED') throw error;
    problems = error.problems.length > 0 ? error.problems : [{ code: error.code, message: error.message, hint: error.hint ?? '' }];
    failure = error;
  }
  const shown = { problems, strict, ...defined({ plan, trace }) };
  app.write(format === 'markdown' ? reviewMarkdown(shown) : reviewAnnotations(shown, annotationPath));
  if (failure !== undefined) throw failure;
  stopOnLint(app, logger, plan?.findings ?? [], strict);
  if (trace) stopOnFindings(app, logger, trace, strict);
}

/** What up's lint gate would have stopped at, found now by the review: the same exit status, and why in the log. */
function stopOnLint(app: App, logger: Logger, findings: Plan['findings'], strict: boolean): void {
  const stopping = findings.filter((finding) => strict || finding.severity === 'error');
  if (stopping.length === 0) return;
  logger.error(`lint: ${stopping.length} finding(s) ${strict ? 'with --strict' : 'set to "error"'}; up would stop with nothing applied`, {
    hint: 'make the change the safe way each finding describes, or allow it for one statement with -- pgshift:allow RULE-ID reason',
  });
  app.setExitStatus(EXIT_INVALID);
}
