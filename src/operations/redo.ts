/** `redo`: reverts the newest applied migration and applies it again, under one lock. */
import type { MigrationsResult, RunCallOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { PgshiftError } from '../core/errors.js';
import { loadForWrite } from './files.js';
import { prepareDown, redoMigration } from './history.js';
import { refuseTransactionLock } from './lock-scope.js';
import { withRun } from './run.js';
import { collect, sendDown, sendUp } from './send.js';
import { revertSteps, upSteps } from './steps.js';

export async function redo(context: ResolvedOptions, call: RunCallOptions): Promise<MigrationsResult> {
  refuseTransactionLock(context, 'redo');
  const catalog = await loadForWrite(context);
  return withRun(context, { lock: true, writes: true, signal: call.signal, onProgress: call.onProgress }, async (run) => {
    const { steps, setup } = await prepareDown(context, run, catalog, { steps: 1 });
    const [step] = steps;
    if (!step) throw new PgshiftError('USAGE', 'redo: no migration is applied', { hint: 'run up first' });
    const reverts = revertSteps(run.table, steps, context.defaults);
    const reapply = upSteps(run.table, [redoMigration(catalog, step)], setup, false, context.defaults);
    run.progress?.plan(reverts.length + reapply.length);
    const migrations = await collect(run, async (done) => {
      await sendDown(run, reverts, done);
      await sendUp(run, reapply, context.retry, done);
    });
    return { migrations };
  });
}
