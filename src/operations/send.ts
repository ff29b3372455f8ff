/** The executor: sends the steps of steps.ts in order and reports each migration done. */
import { isPgshiftError } from '../core/errors.js';
import { timed } from '../core/timings.js';
import type { MigrationResult, SqlFile } from '../core/types.js';
import { applyNoTransaction, applyTransactional, revert, type RetryPolicy } from '../executor/apply.js';
import { asPgshiftError, type Run } from './run.js';
import type { RevertStep, UpStep } from './steps.js';

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

async function sendUpSteps(run: Run, steps: readonly UpStep[], retry: RetryPolicy, done: MigrationResult[]): Promise<void> {
  const record = (file: SqlFile, durationMs: number): void =>
    report(run, done, { direction: 'up', version: file.version, name: file.name, path: file.path, durationMs });
  for (const step of steps) {
    run.observer?.fileStarted?.('script' in step ? (step.migrations[0]?.file.path ?? '') : step.noTransaction.planned.file.path);
    if ('script' in step) {
      // The time logged is the one the ledger row records: one measured number.
      const recorded = await applyTransactional(run, step.script, retry);
      for (const { file } of step.migrations) record(file, recorded.get(file.version) ?? 0);
    } else {
      record(step.noTransaction.planned.file, await applyNoTransaction(run, step.noTransaction));
    }
  }
  if (steps.length === 0) run.logger.info('nothing to apply');
}

export function sendDown(run: Run, steps: readonly RevertStep[], done: MigrationResult[]): Promise<void> {
  return timed('revert', () => sendDownSteps(run, steps, done));
}

async function sendDownSteps(run: Run, steps: readonly RevertStep[], done: MigrationResult[]): Promise<void> {
  for (const step of steps) {
    run.observer?.fileStarted?.(step.step.rollback.path);
    const durationMs = await revert(run, step);
    report(run, done, { direction: 'down', version: step.step.version, name: step.step.name, path: step.step.rollback.path, durationMs });
  }
  if (steps.length === 0) run.logger.info('nothing to revert');
}

function report(run: Run, done: MigrationResult[], result: MigrationResult): void {
  done.push(result);
  run.logger.info(`${result.direction === 'up' ? 'applied' : 'reverted'} ${result.path} (${result.durationMs} ms)`, {
    version: result.version,
    durationMs: result.durationMs,
  });
}
