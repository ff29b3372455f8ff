/**
 * `trace`: what each statement of a migration will lock, rewrite and validate. The files run statement by
 * statement on a scratch copy of the schema (executor/trace.ts), never on the target; the target is read
 * on a read-only session, its ledger and the catalog's sizes of the tables the trace touched, and nothing else.
 */
import type { TraceOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { DEFAULTS } from '../config/defaults.js';
import type { Catalog } from '../core/catalog.js';
import { defined } from '../core/defined.js';
import { failValidation, PgshiftError } from '../core/errors.js';
import { analyzeScript } from '../core/file-analysis.js';
import { planUp } from '../core/plan-up.js';
import { planReplay, type ReplayStep } from '../core/replay-plan.js';
import { parseSize } from '../core/sizes.js';
import { relationKey, type FileTrace, type TracedRelation, type TraceReport } from '../core/trace-types.js';
import type { ScriptFile, SqlFile } from '../core/types.js';
import { repeatablesToRun } from './history.js';
import { rm } from 'node:fs/promises';
import type { ConnectionSettings } from '../db/settings.js';
import { removeAbandonedServers, scratchServerFolder } from '../db/scratch.js';
import { relationSizes } from '../db/relation-sizes.js';
import { ServerError } from '../db/server-error.js';
import { openScratchSite } from '../executor/scratch-site.js';
import { traceFile } from '../executor/trace.js';
import { loadCatalog } from '../io/loader.js';
import { readLintConfig } from '../lint/config.js';
import { suppressionProblems } from '../lint/lint.js';
import { traceReport } from '../lint/trace-findings.js';
import { loadOnly } from './files.js';
import { readHistory } from './ledger-read.js';
import { refuseTransactionLock } from './lock-scope.js';
import { withRun, type Run } from './run.js';
import { historyAtBase } from './base-ref.js';
import { rebuildApplied } from './scratch-rebuild.js';

/** What to build the scratch schema from, and which files to trace on it, in order. */
interface TracePlan {
  /** Replayed first, untraced, after the ledger and the --schema schema `up` would make first. */
  readonly base: readonly ReplayStep[];
  /** The migrations, then the repeatable files up would run after them. */
  readonly traced: readonly ScriptFile[];
}

export async function trace(context: ResolvedOptions, call: TraceOptions): Promise<TraceReport> {
  refuseTransactionLock(context, 'trace (nor up --dry-run --trace)');
  // One reading for the flag's text and the API's number: a negative, fractional-unit or unsafe number fails alike.
  const big = parseSize(context.words.wording.option('big'), call.big ?? DEFAULTS.traceBig);
  const config = await readLintConfig(context.cwd);
  const catalog = await loadCatalog(context.dirs);
  if (catalog.problems.length > 0) failValidation(catalog.problems);
  const only = call.migration === undefined ? undefined : await loadOnly(context.dirs, call.migration);
  if (call.baseRef !== undefined) return traceAtBase(context, { ...call, baseRef: call.baseRef }, catalog, only, { big, config });
  return withRun(context, { lock: false, writes: false, readOnly: true, signal: call.signal }, async (run) => {
    const plan = await tracePlan(context, run, catalog, call, only);
    refuseBadAllows(plan.traced);
    if (plan.traced.length === 0) {
      run.logger.info('trace: no pending migration to trace');
      return traceReport([], { sizes: undefined, big, config });
    }
    const traces = await traceOnScratch(context, run, plan, call);
    // Sizes only from a target the user named: the embedded server is a local copy, not where the locks will bite.
    const sizes = 'embedded' in context.target ? undefined : await relationSizes(run.session, touched(traces));
    const report = traceReport(traces.map((trace, index) => ({ trace, text: plan.traced[index]?.text ?? '' })), { sizes, big, config });
    run.logger.info(`trace: ${traces.length} file${traces.length === 1 ? '' : 's'} traced, ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}`);
    return report;
  });
}

/**
 * --base-ref: there is no target to read, so the run's own server is a throwaway one (a fresh embedded server,
 * or the server scratchServer names), where the commit's files are rebuilt and the ones added since traced.
 */
async function traceAtBase(context: ResolvedOptions, call: TraceOptions & { readonly baseRef: string }, catalog: Catalog, only: SqlFile | undefined, weighing: Weighing): Promise<TraceReport> {
  const history = await historyAtBase(context, catalog, call.baseRef);
  const base = planReplay(catalog, history, context.words);
  const traced = planUp(catalog, history, { ...context.words, outOfOrder: context.outOfOrder, ...defined({ only, to: call.to }) }).map((step) => step.file);
  refuseBadAllows(traced);
  if (traced.length === 0) return traceReport([], { ...weighing, sizes: undefined });
  const embedded = call.scratchServer === undefined || call.scratchServer === 'embedded';
  if (embedded) await removeAbandonedServers(context.embeddedDir, context.logger);
  const dir = scratchServerFolder(context.embeddedDir);
  const target = embedded ? { embedded: { dir, scratch: true } } : (call.scratchServer as ConnectionSettings);
  try {
    return await withRun({ ...context, target }, { lock: false, writes: false, signal: call.signal }, async (run) => {
      const traces = await traceOnScratch(context, run, { base, traced }, {});
      return traceReport(traces.map((trace, index) => ({ trace, text: traced[index]?.text ?? '' })), { ...weighing, sizes: undefined });
    });
  } finally {
    if (embedded) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

interface Weighing {
  readonly big: number;
  readonly config: Awaited<ReturnType<typeof readLintConfig>>;
}

/** A suppression with no reason or an unknown rule stops the trace as it stops lint: it would silence nothing while seeming to. */
function refuseBadAllows(files: readonly ScriptFile[]): void {
  const bad = files.flatMap((file) => suppressionProblems(file, analyzeScript(file)));
  if (bad.length > 0) failValidation(bad);
}

async function tracePlan(context: ResolvedOptions, run: Run, catalog: Catalog, call: TraceOptions, only: SqlFile | undefined): Promise<TracePlan> {
  if (call.all === true) {
    const repeatables = call.to === undefined ? catalog.repeatables : [];
    return { base: [], traced: [...catalog.migrations.filter((file) => call.to === undefined || file.version <= call.to), ...repeatables] };
  }
  const history = await readHistory(run.session, run.table).catch((error: unknown) => {
    // The read-only session gives up after --lock-wait (run.ts): a migration holds the ledger.
    if (!(error instanceof ServerError) || error.fields.sqlState !== '55P03') throw error;
    throw new PgshiftError('LOCK_TIMEOUT', `trace: the ledger ${run.table.display} stayed locked by another session (a migration running?) for all of ${context.words.wording.option('lock-wait')} ${context.lockWaitMs / 1000} s`, {
      hint: `run the trace when it is done, or give ${context.words.wording.option('lock-wait')} more seconds; nothing was changed`,
    });
  });
  const applied = new Set(history.rows.ledger.map((row) => row.version));
  // A partly applied file is traced whole, from a schema without its first statements.
  const replay = planReplay(catalog, history.rows, context.words).filter((step) => step.statements === undefined);
  if (only && applied.has(only.version)) {
    // Applied here already: traced on the schema the files applied before it build.
    return { base: replay.filter((step) => step.file.version < only.version), traced: [only] };
  }
  const planned = planUp(catalog, history.rows, { ...context.words, outOfOrder: context.outOfOrder, ...defined({ only, to: call.to }) });
  // up runs the changed repeatable files after all its migrations: not after one file, nor when it stops early.
  const repeatables = only === undefined && call.to === undefined ? (await repeatablesToRun(catalog, run)).planned : [];
  return { base: replay, traced: [...planned.map((step) => step.file), ...repeatables.map(({ file }) => file)] };
}

async function traceOnScratch(context: ResolvedOptions, run: Run, plan: TracePlan, call: TraceOptions): Promise<FileTrace[]> {
  const site = await openScratchSite(run, {
    purpose: 'trace',
    server: call.scratchServer ?? 'target',
    files: [...plan.base.map((step) => step.file), ...plan.traced],
    embeddedDir: context.embeddedDir,
    parameters: run.parameters,
    wording: context.words.wording,
  });
  try {
    const scratch: Run = { ...run, session: site.session };
    await rebuildApplied(context, scratch, plan.base, 'trace');
    const traces: FileTrace[] = [];
    for (const file of plan.traced) traces.push(await traceFile(scratch, file, { openObserver: () => site.openAnother() }));
    return traces;
  } finally {
    await site.close();
  }
}

/** Every relation a trace names: their sizes are what the report weighs. */
function touched(traces: readonly FileTrace[]): TracedRelation[] {
  const seen = new Map<string, TracedRelation>();
  for (const statement of traces.flatMap((file) => file.statements)) {
    for (const { relation } of statement.locks) seen.set(relationKey(relation), relation);
    for (const change of statement.changes) {
      const relation = 'relation' in change ? change.relation : change.table;
      seen.set(relationKey(relation), relation);
    }
  }
  return [...seen.values()];
}
