/** `down`: reverts applied migrations newest first, under the lock. */
import type { DownOptions, MigrationsResult } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { checkNumbers } from '../config/call-options.js';
import { prepareDown } from './history.js';
import { transactionLock } from './lock-scope.js';
import { withFiles } from './files.js';
import type { Observed } from './run.js';
import { collect, sendDown } from './send.js';
import { revertSteps } from './steps.js';

export async function down(context: ResolvedOptions, call: DownOptions & Observed): Promise<MigrationsResult> {
  checkNumbers(call);
  return withFiles(context, { lock: true, writes: true, signal: call.signal, observer: call.observer, onProgress: call.onProgress }, async (catalog, run, history) => {
    const { steps: planned, applied } = await prepareDown(context, run, catalog, call, history);
    const steps = revertSteps(run.table, planned, context.defaults, transactionLock(context, applied));
    run.progress?.plan(steps.length);
    return { migrations: await collect(run, (done) => sendDown(run, steps, done)) };
  });
}
