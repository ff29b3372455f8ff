/** `up`: applies the pending migrations in order, under the lock. */
import type { MigrationsResult, UpOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { checkNumbers } from '../config/call-options.js';
import { loadForWrite } from './files.js';
import { checkedUp } from './history.js';
import { withRun, type Observed } from './run.js';
import { collect, sendUp } from './send.js';
import { upSteps } from './steps.js';

export async function up(context: ResolvedOptions, call: UpOptions & Observed): Promise<MigrationsResult> {
  checkNumbers(call);
  const { catalog, commits } = await loadForWrite(context.dirs);
  return withRun(context, { lock: true, writes: true, signal: call.signal, observer: call.observer }, async (run) => {
    const { planned, createLedger } = await checkedUp(context, run, catalog, call, commits);
    const steps = upSteps(run.table, planned, createLedger, call.singleTransaction === true, context.defaults);
    return { migrations: await collect(run, (done) => sendUp(run, steps, context.retry, done)) };
  });
}
