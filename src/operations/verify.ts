/** `verify`: does each rollback undo its migration? Changes nothing (executor/verify.ts does the checking). */
import type { VerifyOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { Catalog } from '../core/catalog.js';
import { failValidation } from '../core/errors.js';
import { defined } from '../core/defined.js';
import { analyzeScript } from '../core/file-analysis.js';
import type { History } from '../core/ledger-problems.js';
import { planUp } from '../core/plan-up.js';
import type { RepeatableFile, SqlFile } from '../core/types.js';
import { repeatablesToRun } from './history.js';
import { loadCatalog } from '../io/loader.js';
import { needsScratch, verifyInScratch, verifyInTransaction, type VerifyPlan, type VerifyResult, type VerifyTarget } from '../executor/verify.js';
import { loadOnly, refuseUnrunnable } from './files.js';
import { readHistory } from './ledger-read.js';
import { refuseTransactionLock } from './lock-scope.js';
import { withRun } from './run.js';

export async function verify(context: ResolvedOptions, call: VerifyOptions): Promise<readonly VerifyResult[]> {
  refuseTransactionLock(context, 'verify');
  const catalog = await loadCatalog(context.dirs);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  const only = call.migration === undefined ? undefined : await loadOnly(context.dirs, call.migration);
  return withRun(context, { lock: false, writes: false, signal: call.signal }, async (run) => {
    const history = (await readHistory(run.session, run.table)).rows;
    // The repeatable files up would run (all of them with --all, none for one --migration), checked after the migrations.
    const repeatables = only === undefined ? (await repeatablesToRun(catalog, call.all === true ? undefined : run)).planned : [];
    const { plan, scratch } = verifyPlan(context, catalog, history, call, only, repeatables.map(({ file }) => file));
    refuseUnrunnable(plan.targets.flatMap(({ rollback }) => (rollback ? [{ analysis: analyzeScript(rollback) }] : [])));
    const results =
      scratch || needsScratch(plan.targets)
        ? await verifyInScratch(run, plan, { server: call.scratchServer ?? 'target', embeddedDir: context.embeddedDir, parameters: run.parameters, wording: context.words.wording })
        : await verifyInTransaction(run, plan);
    for (const result of results) run.logger.info(`verify ${result.path}: ${result.outcome}`, { version: result.version, problems: result.problems });
    return results;
  });
}

/** Which migrations to check on top of which, and whether that needs a scratch database. */
function verifyPlan(
  context: ResolvedOptions,
  catalog: Catalog,
  history: History,
  call: VerifyOptions,
  only: SqlFile | undefined,
  repeatables: readonly RepeatableFile[],
): { plan: VerifyPlan; scratch: boolean } {
  const applied = new Set(history.ledger.map((row) => row.version));
  const target = (migration: SqlFile): VerifyTarget => ({ migration, rollback: catalog.rollbacks.get(migration.version) });
  if (call.all) return { plan: { base: [], targets: catalog.migrations.map(target), repeatables }, scratch: true };
  if (only && applied.has(only.version)) {
    // Already applied here: rebuilt up to just before it in a scratch database.
    return { plan: { base: catalog.migrations.filter((file) => file.version < only.version), targets: [target(only)], repeatables: [] }, scratch: true };
  }
  const planned = planUp(catalog, history, { ...context.words, outOfOrder: context.outOfOrder, ...defined({ only }) });
  const base = catalog.migrations.filter((file) => applied.has(file.version));
  const scratch = call.scratch === true || call.scratchServer !== undefined;
  return { plan: { base, targets: planned.map((step) => target(step.file)), repeatables }, scratch };
}
