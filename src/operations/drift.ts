/**
 * `drift`: is the live database what its applied migrations say it is? Rebuilds the schema they describe in
 * a scratch database (executor/scratch-site.ts), snapshots both and compares. Changes nothing on the target.
 */
import type { DriftOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { defined } from '../core/defined.js';
import { driftReport, type DriftReport } from '../core/drift-report.js';
import { failValidation, PgshiftError } from '../core/errors.js';
import { planReplay } from '../core/replay-plan.js';
import { inReadSnapshot, savepointed } from '../db/read-snapshot.js';
import type { Session } from '../db/session.js';
import { takeSnapshot } from '../db/snapshot.js';
import { openScratchSite } from '../executor/scratch-site.js';
import { catalogFor } from './files.js';
import { readHistory } from './ledger-read.js';
import { readRepeats } from '../db/repeat-table.js';
import type { RepeatableFile } from '../core/types.js';
import { whileLocked, withRun, type Run } from './run.js';
import { rebuildApplied } from './scratch-rebuild.js';

export async function drift(context: ResolvedOptions, call: DriftOptions): Promise<DriftReport> {
  refuseScratchThroughPooler(context, call);
  const catalog = await catalogFor(context);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  return withRun(context, { lock: false, writes: false, signal: call.signal }, async (run) => {
    const clock = stopwatch();
    const scope = defined({ schemas: context.schema === undefined ? undefined : [context.schema] });
    const { steps, repeatables, actual, ledger } = await readConsistently(context, run, async (session) => {
      const reading = context.lockScope === 'transaction' ? savepointed(session) : session;
      const history = await readHistory(reading, run.table);
      if (!history.ledger.exists) {
        run.logger.warn(`drift: there is no ledger ${run.table.display} in this database: pgshift has applied nothing here (or --table or --schema names another ledger), so everything in it is compared with an empty schema`);
      }
      const planned = planReplay(catalog, history.rows, context.words);
      // The repeatable files that have run here, as their files are now (one changed since is drift until up runs it).
      const recorded = catalog.repeatables.length === 0 ? [] : await readRepeats(reading, run.table);
      const ran = new Map(recorded.map((record) => [record.name, record.checksum]));
      const repeated = catalog.repeatables.filter((file) => ran.has(file.name));
      refuseChangedRepeatables(repeated.filter((file) => ran.get(file.name) !== file.checksum), context);
      return { steps: planned, repeatables: repeated, actual: await takeSnapshot(session, run.table, scope), ledger: history.ledger.exists };
    });
    const site = await openScratchSite(run, {
      purpose: 'drift',
      server: call.scratchServer ?? 'target',
      files: [...steps.map((step) => step.file), ...repeatables],
      embeddedDir: context.embeddedDir,
      parameters: run.parameters,
      wording: context.words.wording,
    });
    try {
      const readMs = clock();
      await rebuildApplied(context, { ...run, session: site.session }, ledger ? steps : undefined, 'drift', repeatables);
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

/**
 * drift compares the database with what ran, and a repeatable file changed since no longer says what ran
 * (as an applied migration's edited file would not): up runs it again, and then drift has something to compare.
 */
function refuseChangedRepeatables(changed: readonly RepeatableFile[], context: ResolvedOptions): void {
  if (changed.length === 0) return;
  failValidation(
    changed.map((file) => ({
      code: 'CHECKSUM_MISMATCH' as const,
      file: file.path,
      message: `${file.path} changed since it was last applied, so it no longer says what ran here`,
      hint: `run ${context.words.wording.command('up')} first (it applies the file again), then drift compares the database with it`,
    })),
  );
}

/**
 * The ledger and the schema as of one moment: a run applying files meanwhile would set them apart. Under
 * the migration lock, briefly; under --lock transaction, in one read-only snapshot instead (no session lock).
 */
function readConsistently<T>(context: ResolvedOptions, run: Run, read: (session: Session) => Promise<T>): Promise<T> {
  if (context.lockScope === 'transaction') return inReadSnapshot(run.session, read);
  return whileLocked(context, run, () => read(run.session));
}

/**
 * Under --lock transaction the target is reached through a transaction-mode pooler: a scratch database
 * on its server would be reached through it too, which refuses the search_path a scratch session starts
 * with and would spread the replay over server connections. The scratch database is built elsewhere.
 */
function refuseScratchThroughPooler(context: ResolvedOptions, call: DriftOptions): void {
  if (context.lockScope !== 'transaction' || call.scratchServer !== undefined) return;
  throw new PgshiftError('USAGE', "drift --lock transaction cannot build its scratch database on the target's server: it would be reached through the pooler too", {
    hint: 'give --scratch-database a URL of a server reached directly (the server itself, not the pooler), or use --scratch embedded',
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
