/**
 * The CLI side of a many-database run: migrateMany with a live line on a terminal, then the table (or JSON)
 * on stdout, and the run's exit status: a single target's own, 6 when any of several failed or did not
 * start, 130 when interrupted.
 */
import { defined } from '../core/defined.js';
import { PgshiftError } from '../core/errors.js';
import { migrateMany } from '../migrator.js';
import type { ManyCommand, ManyOptions, ManyResult } from '../migrator-types.js';
import type { App, ManyRun } from './app.js';
import { LiveProgress } from './live-progress.js';
import { manyJson, manyText, summaryLine } from './render-many.js';

export type CommandOptions = Pick<ManyOptions, 'up' | 'down' | 'drift'>;

export async function runMany(app: App, many: ManyRun, command: ManyCommand, extra: CommandOptions, json: boolean): Promise<void> {
  const terminal = json ? undefined : app.terminal;
  const live = terminal && many.targets.length > 1 ? new LiveProgress(terminal, many.targets.length) : undefined;
  let result: ManyResult;
  try {
    const logger = live ? live.logger(many.logger) : many.logger;
    result = await migrateMany(many.targets, { ...many.options, ...extra, command, signal: app.signal, logger, ...defined({ onEvent: live?.onEvent }) });
  } finally {
    live?.close();
  }
  app.write(json ? manyJson(result) : manyText(result, command));
  const failure = manyFailure(result, app.signal.aborted);
  if (failure) throw failure;
}

/** What the run as a whole ends with, as an error whose code gives the exit status; none when all went well. */
function manyFailure(result: ManyResult, aborted: boolean): PgshiftError | undefined {
  const { targets } = result;
  const rerun = 'run the same command again: only what is still pending runs, the ledgers being the state';
  if (aborted || targets.some((target) => target.outcome === 'interrupted')) {
    if (targets.length === 1 && targets[0]?.error !== undefined) return targets[0].error;
    return new PgshiftError('INTERRUPTED', `interrupted: ${summaryLine(result).trim()}`, {
      hint: `each running migration was cancelled: a transactional one rolled back whole, a no-transaction one stopped at its statement (status shows it partial); ${rerun}`,
    });
  }
  if (targets.length === 1) return targets[0]?.error;
  const failed = targets.filter((target) => target.outcome === 'failed');
  const skipped = targets.filter((target) => target.outcome === 'skipped');
  if (failed.length === 0 && skipped.length === 0) return undefined;
  const listed = failed.map((target) => `${target.name} (${target.error?.code ?? 'failed'})`).join(', ');
  return new PgshiftError('TARGETS_FAILED', `${failed.length} of ${targets.length} targets failed${listed === '' ? '' : `: ${listed}`}${skipped.length > 0 ? `; ${skipped.length} not started` : ''}`, {
    hint: `each failed target is listed with its error above; fix them and ${rerun}`,
  });
}
