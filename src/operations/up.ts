/** `up`: applies the pending migrations in order, under the lock. */
import type { MigrationsResult, UpOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { checkNumbers } from '../config/call-options.js';
import type { Catalog } from '../core/catalog.js';
import { isPgshiftError, type PgshiftError } from '../core/errors.js';
import type { MigrationResult, RepeatableResult } from '../core/types.js';
import { ledgerDigest } from '../db/xact-lock.js';
import { withFiles } from './files.js';
import { checkedUp, earlyOnly, preparedRepeatables, type UpCall } from './history.js';
import type { HistoryRead } from './ledger-read.js';
import { transactionLock } from './lock-scope.js';
import type { Observed, Run } from './run.js';
import { collect, sendRepeatables, sendUp } from './send.js';
import { upRunSteps } from './steps.js';

export async function up(context: ResolvedOptions, call: UpOptions & Observed): Promise<MigrationsResult> {
  checkNumbers(call);
  const checked = await earlyOnly(context, call);
  return withFiles(context, { lock: true, writes: true, signal: call.signal, observer: call.observer, onProgress: call.onProgress }, async (catalog, run, history) => {
    const repeatables: RepeatableResult[] = [];
    const migrations = await collect(run, (done) => applyPending(context, run, { catalog, call: checked, history }, { done, repeatables }));
    return { migrations, repeatables };
  });
}

interface UpWork {
  readonly catalog: Catalog;
  readonly call: UpCall;
  /** The ledger's first read (withFiles); a ledger that moved is read again. */
  readonly history: Promise<HistoryRead>;
}

/**
 * Plans from the ledger and sends the steps. Under --lock transaction the plan was made without the lock,
 * so a transaction may find that another run changed the ledger since (LEDGER_MOVED, before anything of
 * its file ran): the ledger is read again and what is still pending is applied, after what this run did.
 */
async function applyPending(
  context: ResolvedOptions,
  run: Run,
  { catalog, call, history }: UpWork,
  { done, repeatables: repeatedDone }: { readonly done: MigrationResult[]; readonly repeatables: RepeatableResult[] },
): Promise<void> {
  let moved: { error: PgshiftError; from: string } | undefined;
  for (;;) {
    const { planned, createLedger, applied } = await checkedUp(context, run, catalog, call, moved ? undefined : history);
    // A ledger read again as it was before cannot be what moved: stop rather than try the same again for ever.
    if (moved && moved.from === ledgerDigest(applied)) throw moved.error;
    const repeatables = await preparedRepeatables(context, run, catalog, call);
    const lock = transactionLock(context, applied);
    const { steps, repeated } = upRunSteps(run.table, { planned, createLedger }, repeatables, call.singleTransaction === true, context.defaults, lock);
    run.progress?.plan(steps.length + repeated.length);
    try {
      await sendUp(run, steps, context.retry, done);
      await sendRepeatables(run, repeated, context.retry, repeatedDone);
      if (steps.length === 0 && repeated.length === 0) run.logger.info('nothing to apply');
      return;
    } catch (error) {
      if (!isPgshiftError(error) || error.code !== 'LEDGER_MOVED') throw error;
      run.logger.info(`${error.message}: reading it again and applying what is still pending`, { table: run.table.display });
      moved = { error, from: ledgerDigest(applied) };
    }
  }
}
