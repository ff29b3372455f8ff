/**
 * The dry run of up, down and redo: the steps the run would send (steps.ts), as data and as one psql
 * script. Reads the ledger; changes nothing and takes no lock.
 */
import type { Plan, PlannedStep, PlanOptions, UpOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { Catalog } from '../core/catalog.js';
import { defined } from '../core/defined.js';
import { checkNumbers } from '../config/call-options.js';
import type { DownStep } from '../core/plan-down.js';
import type { PlannedMigration } from '../core/plan-up.js';
import { planUp } from '../core/plan-up.js';
import { historyAtBase, repeatsAtBase } from './base-ref.js';
import { failValidation } from '../core/errors.js';
import { planRepeatables } from '../core/plan-repeatables.js';
import { catalogFor, loadForWrite, loadOnly, parsedOrFail } from './files.js';
import { checkedUp, earlyOnly, lintPlanned, preparedRepeatables, prepareDown, redoMigration } from './history.js';
import { refuseTransactionLock, transactionLock } from './lock-scope.js';
import { withRun, type Run } from './run.js';
import { lockedText, revertSteps, revertText, upRunSteps, upSteps, upText } from './steps.js';

export async function plan(context: ResolvedOptions, call: PlanOptions): Promise<Plan> {
  if (call.direction !== 'redo') checkNumbers(call);
  else refuseTransactionLock(context, 'redo');
  if (call.direction === 'up' && call.baseRef !== undefined) return planAtRef(context, { ...call, baseRef: call.baseRef });
  // up stamps only the files it plans with their commits; redo's dry run shows the commit its reapply records.
  const catalog = call.direction === 'redo' ? await loadForWrite(context) : await catalogFor(context);
  const checked = call.direction === 'up' ? await earlyOnly(context, call) : undefined;
  return withRun(context, { lock: false, writes: false, signal: call.signal }, async (run) => {
    if (call.direction === 'up') {
      const { planned, createLedger, findings, applied: ledger } = await checkedUp(context, run, catalog, checked ?? call);
      const repeatables = await preparedRepeatables(context, run, catalog, checked ?? call);
      const lock = transactionLock(context, ledger);
      const { steps, repeated } = upRunSteps(run.table, { planned, createLedger }, repeatables, call.singleTransaction === true, context.defaults, lock);
      return {
        direction: 'up',
        findings: [...findings, ...repeatables.findings],
        steps: planned.map(applied),
        repeatables: repeatables.planned.map(({ file }) => ({ name: file.name, path: file.path, text: file.text })),
        sql: lockedText(run.table, upText(run.table, steps, repeated), lock !== undefined),
      };
    }
    return call.direction === 'down' ? planDown(context, run, catalog, call) : planRedo(context, run, catalog);
  });
}

async function planDown(context: ResolvedOptions, run: Run, catalog: Catalog, call: PlanOptions & { direction: 'down' }): Promise<Plan> {
  const { steps, applied: ledger } = await prepareDown(context, run, catalog, call);
  const lock = transactionLock(context, ledger);
  const sql = revertText(run.table, revertSteps(run.table, steps, context.defaults, lock));
  return { direction: 'down', steps: steps.map(reverted), findings: [], sql: lockedText(run.table, sql, lock !== undefined) };
}

async function planRedo(context: ResolvedOptions, run: Run, catalog: Catalog): Promise<Plan> {
  const { steps, setup } = await prepareDown(context, run, catalog, { steps: 1 });
  const reapply = steps.map((step) => redoMigration(catalog, step));
  const sql = `${revertText(run.table, revertSteps(run.table, steps, context.defaults))}\n${upText(run.table, upSteps(run.table, reapply, setup, false, context.defaults))}`;
  return { direction: 'redo', findings: [], steps: [...steps.map(reverted), ...reapply.map(applied)], sql: lockedText(run.table, sql) };
}

/** up's plan against a git commit instead of a ledger (PlanOptions.baseRef): the files' checks, no database. */
async function planAtRef(context: ResolvedOptions, call: UpOptions & { readonly baseRef: string; readonly findingsStop?: boolean }): Promise<Plan> {
  const [catalog, only] = await Promise.all([catalogFor(context), call.migration === undefined ? undefined : loadOnly(context.dirs, call.migration)]);
  const history = await historyAtBase(context, catalog, call.baseRef);
  const { to, singleTransaction } = call;
  const planned = planUp(catalog, history, { ...context.words, outOfOrder: context.outOfOrder, ...defined({ to, only, singleTransaction }) });
  const whole = only === undefined && to === undefined;
  const repeatables = whole ? planRepeatables(catalog, await repeatsAtBase(context, catalog, call.baseRef)) : { planned: [], problems: [] };
  if (repeatables.problems.length > 0) failValidation(repeatables.problems);
  const files = [...planned, ...repeatables.planned];
  const checked = await parsedOrFail(files, context.logger, context.memo);
  const findings = call.lint === false || files.length === 0 ? [] : await lintPlanned(context, checked, { strict: call.strict === true, stops: call.findingsStop !== false }, undefined);
  return { direction: 'up', findings, steps: planned.map(applied), repeatables: repeatables.planned.map(({ file }) => ({ name: file.name, path: file.path, text: file.text })), sql: '' };
}

function applied({ file, analysis, progress }: PlannedMigration): PlannedStep {
  const resumeAt = progress ? progress.statementHashes.length + 1 : undefined;
  return { version: file.version, name: file.name, path: file.path, transaction: analysis.directives.transaction, text: file.text, ...defined({ resumeAt }) };
}

function reverted(step: DownStep): PlannedStep {
  return { version: step.version, name: step.name, path: step.rollback.path, transaction: step.analysis.directives.transaction, text: step.rollback.text };
}
