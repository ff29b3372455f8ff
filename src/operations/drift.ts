/**
 * `drift`: is the live database what its applied migrations say it is? Rebuilds the schema they describe in
 * a scratch database (executor/scratch-site.ts), snapshots both and compares. Changes nothing on the target.
 */
import type { DriftOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { defined } from '../core/defined.js';
import { driftReport, type DriftReport } from '../core/drift-report.js';
import { failValidation, isPgshiftError, rewrap } from '../core/errors.js';
import { planReplay, type ReplayStep } from '../core/replay-plan.js';
import { quoteIdentifier } from '../core/sql-quote.js';
import { createLedgerSql, type LedgerTable } from '../db/ledger.js';
import type { Session } from '../db/session.js';
import { takeSnapshot } from '../db/snapshot.js';
import { loadCatalog } from '../io/loader.js';
import { replayFile } from '../executor/replay.js';
import { openScratchSite } from '../executor/scratch-site.js';
import { readHistory } from './history.js';
import { whileLocked, withRun, type Run } from './run.js';

export async function drift(context: ResolvedOptions, call: DriftOptions): Promise<DriftReport> {
  const catalog = await loadCatalog(context.dirs);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  return withRun(context, { lock: false, writes: false, signal: call.signal }, async (run) => {
    const clock = stopwatch();
    const scope = defined({ schemas: context.schema === undefined ? undefined : [context.schema] });
    // Under the migration lock, briefly: a run applying files meanwhile would set the ledger and the schema apart.
    const { steps, actual, ledger } = await whileLocked(context, run, async () => {
      const history = await readHistory(run.session, run.table);
      if (!history.ledger.exists) {
        run.logger.warn(`drift: there is no ledger ${run.table.display} in this database: pgshift has applied nothing here (or --table or --schema names another ledger), so everything in it is compared with an empty schema`);
      }
      const planned = planReplay(catalog, history.rows, context.words);
      return { steps: planned, actual: await takeSnapshot(run.session, run.table, scope), ledger: history.ledger.exists };
    });
    const site = await openScratchSite(run, {
      purpose: 'drift',
      server: call.scratchServer ?? 'target',
      files: steps.map((step) => step.file),
      embeddedDir: context.embeddedDir,
      parameters: run.parameters,
      wording: context.words.wording,
    });
    try {
      const readMs = clock();
      await rebuild(context, run, site.session, ledger ? steps : undefined);
      const rebuildMs = clock();
      const expected = await takeSnapshot(site.session, run.table, scope);
      const snapshotMs = clock();
      const report = driftReport(expected, actual, { privileges: call.privileges === true, replayed: steps.length, scratch: site.where });
      run.logger.debug('drift: where the time went', { phases: { readMs, rebuildMs, snapshotMs, compareMs: clock(), objects: actual.size } });
      for (const item of report.differences) run.logger.info(`drift: ${item.message}`, { object: item.object, change: item.change });
      return report;
    } finally {
      await site.close();
    }
  });
}

/** Milliseconds since the previous call (or since it was made). */
function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const elapsed = Math.round(now - last);
    last = now;
    return elapsed;
  };
}

/**
 * The scratch database as `up` would have left it: the ledger (and the schema option) first, then every
 * file. `steps` undefined: the target has no ledger, so pgshift made nothing there, not even its schema.
 */
async function rebuild(context: ResolvedOptions, run: Run, scratch: Session, steps: readonly ReplayStep[] | undefined): Promise<void> {
  if (steps === undefined) return;
  await scratch.execute(ledgerFirst(run.table, context.schema));
  const hint = `it needs something the migrations before it do not create (a role, an extension, an object made by hand): that is drift too; create it in a migration, or build the scratch schema on a server that has it with ${context.words.wording.option('scratch-database')}`;
  const onScratch = { ...run, session: scratch };
  for (const step of steps) {
    const failure = `${step.file.path} ran on the target but fails on a database built from the migrations alone`;
    await replayFile(onScratch, step.file, { failure, hint }, step.statements).catch((error: unknown) => {
      if (!isPgshiftError(error)) throw error;
      if (error.code === 'MIGRATION_FAILED') throw rewrap(error, 'REPLAY_FAILED', error.message);
      if (error.code !== 'INTERRUPTED') throw error;
      throw rewrap(error, 'INTERRUPTED', `drift interrupted while replaying ${step.file.path} in its scratch database`, {
        hint: 'nothing was changed on the target, and the scratch database is dropped',
      });
    });
  }
  run.logger.info(`drift: replayed ${steps.length} applied migration${steps.length === 1 ? '' : 's'} in the scratch database`);
}

function ledgerFirst(table: LedgerTable, schema: string | undefined): string {
  const own = schema === undefined ? '' : `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)};\n`;
  // A fresh database has only public: IF NOT EXISTS on it would log a notice that says nothing.
  return `${own}${createLedgerSql(table, { schemaExists: table.schema === 'public' })}`;
}
