/** The executor: sends the steps of steps.ts in order and reports each migration done. */
import { isPgshiftError } from '../core/errors.js';
import { timed } from '../core/timings.js';
import type { MigrationResult, RepeatableResult, SqlFile } from '../core/types.js';
import { REPEATED_STATE } from '../db/repeat-table.js';
import { applyNoTransaction, applyTransactional, revert, type RetryPolicy } from '../executor/apply.js';
import { sendAhead, type SentAhead } from '../executor/send-script.js';
import { asPgshiftError, type Run } from './run.js';
import type { RepeatableStep, RevertStep, UpStep } from './steps.js';

/**
 * Runs `work`, which adds each migration it completes to `done`, and returns them. A failure is thrown
 * carrying those it completed before it (PgshiftError.applied): they stay applied, or reverted.
 */
export async function collect(run: Run, work: (done: MigrationResult[]) => Promise<void>): Promise<MigrationResult[]> {
  const done: MigrationResult[] = [];
  try {
    await work(done);
    return done;
  } catch (caught) {
    const error = asPgshiftError(caught, run.table);
    if (isPgshiftError(error)) error.applied = [...done];
    throw error;
  }
}

export function sendUp(run: Run, steps: readonly UpStep[], retry: RetryPolicy, done: MigrationResult[]): Promise<void> {
  return timed('apply', () => sendUpSteps(run, steps, retry, done));
}

/**
 * A transaction that follows another is sent as soon as that one is on its way, not once it has finished:
 * the server starts it with no round trip between and none of this process's work in between (about a
 * third of a millisecond a file on a local server). It runs nothing unless the one before committed
 * (steps.ts), and its outcome is read in its turn, or dropped if the one before failed.
 */
async function sendUpSteps(run: Run, steps: readonly UpStep[], retry: RetryPolicy, done: MigrationResult[]): Promise<void> {
  const record = (file: SqlFile, durationMs: number): void =>
    report(run, done, { direction: 'up', version: file.version, name: file.name, path: file.path, durationMs });
  let ahead: SentAhead | undefined;
  for (const [index, step] of steps.entries()) {
    if ('script' in step) fileStarted(run, step.migrations[0]?.file.path ?? '', oneTransaction(step.migrations.map(({ file }) => file.path)));
    else fileStarted(run, step.noTransaction.planned.file.path);
    if ('script' in step) {
      const next = steps[index + 1];
      const follow = next !== undefined && 'script' in next ? () => sendAhead(run.session, next.script) : undefined;
      const applied = await applyTransactional(run, step.script, retry, { sent: ahead, follow });
      ahead = applied.ahead;
      // The time logged is the one the ledger row records: one measured number.
      for (const { file } of step.migrations) record(file, applied.recorded.get(file.version) ?? 0);
    } else {
      record(step.noTransaction.planned.file, await applyNoTransaction(run, step.noTransaction));
    }
  }
}

/**
 * The repeatable files' transactions, each waited for: a failure stops the run as a migration's does. One
 * that another run applied meanwhile (--lock transaction) is left to it.
 */
export function sendRepeatables(run: Run, steps: readonly RepeatableStep[], retry: RetryPolicy, done: RepeatableResult[]): Promise<void> {
  return timed('apply', async () => {
    for (const { file, script } of steps) {
      fileStarted(run, file.path);
      const started = performance.now();
      try {
        await applyTransactional(run, script, retry);
      } catch (error) {
        if (!isPgshiftError(error) || error.sql?.sqlState !== REPEATED_STATE) throw error;
        run.logger.info(`${file.path}: another run applied this text meanwhile`, { repeatable: file.name });
        continue;
      }
      const durationMs = Math.round(performance.now() - started);
      done.push({ name: file.name, path: file.path, durationMs });
      run.logger.info(`applied ${file.path} (${durationMs} ms)`, { repeatable: file.name, durationMs });
    }
  });
}

export function sendDown(run: Run, steps: readonly RevertStep[], done: MigrationResult[]): Promise<void> {
  return timed('revert', () => sendDownSteps(run, steps, done));
}

/** Rollbacks are pipelined as migrations are (sendUpSteps). */
async function sendDownSteps(run: Run, steps: readonly RevertStep[], done: MigrationResult[]): Promise<void> {
  let ahead: SentAhead | undefined;
  for (const [index, step] of steps.entries()) {
    fileStarted(run, step.step.rollback.path);
    const next = steps[index + 1]?.script;
    const follow = step.script !== undefined && next !== undefined ? () => sendAhead(run.session, next) : undefined;
    const reverted = await revert(run, step, { sent: ahead, follow });
    ahead = reverted.ahead;
    report(run, done, { direction: 'down', version: step.step.version, name: step.step.name, path: step.step.rollback.path, durationMs: reverted.durationMs });
  }
  if (steps.length === 0) run.logger.info('nothing to revert');
}

/** `label`: what progress names, where one transaction runs several files (--single-transaction). */
function fileStarted(run: Run, path: string, label = path): void {
  run.observer?.fileStarted?.(path);
  run.progress?.fileStarted(label);
}

function oneTransaction(paths: readonly string[]): string {
  return paths.length > 1 ? `${paths[0] ?? ''} to ${paths.at(-1) ?? ''} (${paths.length} files in one transaction)` : (paths[0] ?? '');
}

function report(run: Run, done: MigrationResult[], result: MigrationResult): void {
  done.push(result);
  run.logger.info(`${result.direction === 'up' ? 'applied' : 'reverted'} ${result.path} (${result.durationMs} ms)`, {
    version: result.version,
    durationMs: result.durationMs,
  });
}
