/** What the database has recorded, and the plans made from it and the files. */
import type { DownOptions, UpOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import type { Catalog } from '../core/catalog.js';
import { defined } from '../core/defined.js';
import { failValidation } from '../core/errors.js';
import { timed } from '../core/timings.js';
import type { LintFinding } from '../lint/lint.js';
import { planDown, type DownStep } from '../core/plan-down.js';
import { planUp, type PlannedMigration } from '../core/plan-up.js';
import { planRepeatables, type PlannedRepeatable, type RepeatRecord } from '../core/plan-repeatables.js';
import { readRepeats } from '../db/repeat-table.js';
import { resolve } from 'node:path';
import { folderCommits } from '../io/git.js';
import { analyzeScript } from '../core/file-analysis.js';
import type { SqlFile } from '../core/types.js';
import type { LedgerSetup, LedgerState } from '../db/ledger.js';
import type { CheckCache } from '../lint/check-cache.js';
import type { CheckedFile } from '../lint/syntax.js';
import { withCheckCache } from './check-cache.js';
import { readHistory, type HistoryRead } from './ledger-read.js';
import { commitsFor, loadOnly, parsedOrFail, withCommit } from './files.js';
import { refuseSessionFiles } from './lock-scope.js';
import type { Run } from './run.js';

/**
 * What the run's first write must do to the ledger: nothing, create it, or add the columns it lacks, which
 * only the table's owner can: another role writes rows without them (applied_order follows applied_at).
 */
export function ledgerSetup(ledger: LedgerState): LedgerSetup | undefined {
  if (!ledger.exists) return { schemaExists: ledger.schemaExists };
  const { provenance, appliedOrder } = ledger.columns;
  return (provenance && appliedOrder) || !ledger.owned ? undefined : { add: ledger.columns };
}

/** up's options, with --migration's file when it was read before connecting (earlyOnly), and a plan's findingsStop. */
export type UpCall = UpOptions & { readonly only?: SqlFile | undefined; readonly findingsStop?: boolean | undefined };

/**
 * --migration's file, read and checked before the run connects: a path outside the folder or a missing file
 * fails at once, not after --wait has waited for a server.
 */
export async function earlyOnly(context: ResolvedOptions, call: UpOptions): Promise<UpCall> {
  return call.migration === undefined ? call : { ...call, only: await loadOnly(context.dirs, call.migration) };
}

export interface UpPlan {
  readonly planned: PlannedMigration[];
  readonly createLedger: LedgerSetup | undefined;
  /** The versions the ledger held when it was read; undefined: there was no ledger. */
  readonly applied: readonly number[] | undefined;
}

/** The versions the ledger held, as `--lock transaction`'s check compares them; undefined when there is no ledger. */
function appliedVersions(ledger: LedgerState): readonly number[] | undefined {
  return ledger.exists ? ledger.rows.map((row) => row.version) : undefined;
}

export async function prepareUp(
  context: ResolvedOptions,
  run: Run,
  catalog: Catalog,
  call: UpCall & { skipUnwritten?: boolean },
  started?: Promise<HistoryRead>,
): Promise<UpPlan> {
  const only = call.only ?? (call.migration === undefined ? undefined : await loadOnly(context.dirs, call.migration));
  const history = await (started ?? readHistory(run.session, run.table));
  run.observer?.ledgerRead?.(history.rows.ledger.map((row) => row.version));
  const { to, singleTransaction, skipUnwritten } = call;
  const planned = planUp(catalog, history.rows, { ...context.words, outOfOrder: context.outOfOrder, ...defined({ to, only, singleTransaction, skipUnwritten }) });
  return { planned, createLedger: ledgerSetup(history.ledger), applied: appliedVersions(history.ledger) };
}

/**
 * prepareUp, then the parse every file to run must pass, then lint on the same parse (unless turned off).
 * The files to apply carry the commit their ledger rows will name; git runs while they are parsed.
 */
export async function checkedUp(
  context: ResolvedOptions,
  run: Run,
  catalog: Catalog,
  call: UpCall,
  started?: Promise<HistoryRead>,
): Promise<UpPlan & { findings: readonly LintFinding[] }> {
  const { planned, createLedger, applied } = await prepareUp(context, run, catalog, call, started);
  const commits = planned.length > 0 ? commitsFor(context) : undefined;
  refuseSessionFiles(context, planned);
  const findings = await withCheckCache(context, planned, async (cache) => {
    const checked = await timed('parse', () => parsedOrFail(planned, context.logger, context.memo, cache));
    return call.lint === false || planned.length === 0 ? [] : timed('lint', () => lintPlanned(context, checked, { strict: call.strict === true, stops: call.findingsStop !== false }, cache));
  });
  const folder = await commits;
  const stamped = folder === undefined ? planned : planned.map((step) => ({ ...step, file: withCommit(step.file, folder) }));
  return { planned: stamped, createLedger, applied, findings };
}

/** The lint rules load only when there is something to lint: a no-op run never compiles them. */
export async function lintPlanned(
  context: ResolvedOptions,
  checked: readonly CheckedFile[],
  gate: { readonly strict: boolean; readonly stops: boolean },
  cache: CheckCache | undefined,
): Promise<readonly LintFinding[]> {
  const { lintBeforeRun } = await import('../lint/gate.js');
  return lintBeforeRun(checked, { cwd: context.cwd, logger: context.logger, ...gate, memo: context.memo, cache });
}

/**
 * The repeatable files up would run, and what their table records: new files and those changed since they
 * last ran, a problem in any of them refused. Without `ledger`, every file, as on a database where none ran.
 * The table is read only when the folder has files, so a project without any pays nothing.
 */
export async function repeatablesToRun(
  catalog: Catalog,
  ledger?: Pick<Run, 'session' | 'table'>,
): Promise<{ readonly planned: PlannedRepeatable[]; readonly records: readonly RepeatRecord[] }> {
  const records = ledger === undefined || catalog.repeatables.length === 0 ? [] : await readRepeats(ledger.session, ledger.table);
  const { planned, problems } = planRepeatables(catalog, records);
  if (problems.length > 0) failValidation(problems);
  return { planned, records };
}

/**
 * The repeatable files to apply after the migrations, read, planned, parsed and linted before anything runs:
 * a problem in one stops the run with nothing applied, as one in a migration does. A run that leaves
 * migrations pending on purpose (--to, one --migration) runs none: a repeatable file is written against the
 * whole schema.
 */
export async function preparedRepeatables(
  context: ResolvedOptions,
  run: Run,
  catalog: Catalog,
  call: UpCall,
): Promise<{ readonly planned: PlannedRepeatable[]; readonly createTable: boolean; readonly findings: readonly LintFinding[] }> {
  const partial = call.to !== undefined || call.migration !== undefined || call.only !== undefined;
  if (catalog.repeatables.length === 0 || partial) return { planned: [], createTable: false, findings: [] };
  const { planned, records } = await repeatablesToRun(catalog, run);
  const commits = planned.length > 0 && context.dirs.repeatableDir !== undefined ? folderCommits(resolve(context.dirs.cwd, context.dirs.repeatableDir)) : undefined;
  const checked = await parsedOrFail(planned, context.logger, context.memo);
  const gate = { strict: call.strict === true, stops: call.findingsStop !== false };
  const findings = call.lint === false || planned.length === 0 ? [] : await lintPlanned(context, checked, gate, undefined);
  const folder = await commits;
  const stamped = folder === undefined ? planned : planned.map((step) => ({ ...step, file: withCommit(step.file, folder) }));
  return { planned: stamped, createTable: records.length === 0, findings };
}

export interface DownPlan {
  readonly steps: DownStep[];
  /** What a redo's reapply must do to the ledger first (ledgerSetup): a revert writes no row, so needs nothing. */
  readonly setup: LedgerSetup | undefined;
  /** The versions the ledger held when it was read; undefined: there was no ledger. */
  readonly applied: readonly number[] | undefined;
}

export async function prepareDown(context: ResolvedOptions, run: Run, catalog: Catalog, call: DownOptions, started?: Promise<HistoryRead>): Promise<DownPlan> {
  const history = await (started ?? readHistory(run.session, run.table));
  run.observer?.ledgerRead?.(history.rows.ledger.map((row) => row.version));
  const { steps: count, to, all } = call;
  const steps = planDown(catalog, history.rows, { ...context.words, ...defined({ steps: count, to, all }) });
  const rollbacks = steps.map((step) => ({ file: step.rollback, analysis: step.analysis }));
  refuseSessionFiles(context, rollbacks);
  await withCheckCache(context, rollbacks, (cache) => parsedOrFail(rollbacks, run.logger, context.memo, cache));
  return { steps, setup: ledgerSetup(history.ledger), applied: appliedVersions(history.ledger) };
}

/**
 * The migration a redo applies again: the one its first step reverted (a missing file stops planDown first).
 * It is about to run, so it is held to everything a pending file is (a misplaced directive, a duration
 * without a unit), before anything is reverted.
 */
export function redoMigration(catalog: Catalog, step: DownStep): PlannedMigration {
  const file = catalog.migrations.find((migration) => migration.version === step.version) as SqlFile;
  const analysis = analyzeScript(file);
  if (analysis.problems.length > 0) failValidation(analysis.problems);
  return { file, analysis };
}
