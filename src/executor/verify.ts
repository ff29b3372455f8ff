/**
 * `verify`: does each rollback undo its migration? For each migration: snapshot the schema, apply, snapshot,
 * roll back, compare with the first snapshot, apply again, compare with the second. Transactional
 * migrations are checked inside one transaction that is always rolled back, so nothing changes; a run that
 * includes a no-transaction file (or asks for it) uses a scratch database that is dropped afterwards.
 */
import { isPgshiftError } from '../core/errors.js';
import { unwrittenRollback } from '../core/plan-down.js';
import { describeDifferences } from '../core/schema-diff.js';
import { analyzeScript } from '../core/file-analysis.js';
import type { RepeatableFile, ScriptFile, SqlFile } from '../core/types.js';
import { takeSnapshot } from '../db/snapshot.js';
import { replayFile } from './replay.js';
import { openScratchSite, type ScratchHost, type ScratchRequest } from './scratch-site.js';
import type { ScriptContext } from './send-script.js';

export type VerifyOutcome = 'pass' | 'fail' | 'no rollback' | 'unwritten' | 'not verified';

export interface VerifyResult {
  /** The migration's; a repeatable file has none. */
  readonly version?: number;
  readonly name: string;
  readonly path: string;
  readonly outcome: VerifyOutcome;
  /** What is wrong, worded for a person: differences found, or the error that stopped the check. */
  readonly problems: readonly string[];
}

export interface VerifyTarget {
  readonly migration: SqlFile;
  readonly rollback: SqlFile | undefined;
}

export interface VerifyPlan {
  /** Migrations to apply first, unverified, to bring a scratch database to the starting point. */
  readonly base: readonly SqlFile[];
  readonly targets: readonly VerifyTarget[];
  /** Repeatable files to check after the migrations: each must run twice in a row and leave the same schema. */
  readonly repeatables: readonly RepeatableFile[];
}

/** Inside one transaction on the live database, rolled back at the end. */
export async function verifyInTransaction(context: ScriptContext, plan: Omit<VerifyPlan, 'base'>): Promise<VerifyResult[]> {
  await context.session.execute('BEGIN');
  try {
    return await withRepeatables(context, await verifyEach(context, plan.targets, true), plan.repeatables);
  } finally {
    await context.session.rollback();
  }
}

/** In a scratch database (see scratch-site.ts), created for the run and dropped after it. */
export async function verifyInScratch(context: ScriptContext & ScratchHost, plan: VerifyPlan, where: Omit<ScratchRequest, 'purpose' | 'files'>): Promise<VerifyResult[]> {
  const files = [...plan.base, ...plan.targets.flatMap(({ migration, rollback }) => (rollback ? [migration, rollback] : [migration])), ...plan.repeatables];
  const site = await openScratchSite(context, { ...where, purpose: 'verify', files });
  try {
    const scratchContext: ScriptContext = { ...context, session: site.session };
    for (const file of plan.base) await execute(scratchContext, file, 'apply');
    return await withRepeatables(scratchContext, await verifyEach(scratchContext, plan.targets, false), plan.repeatables);
  } finally {
    await site.close();
  }
}

/** `inTransaction`: the checks run inside one open transaction (verifyInTransaction), not in a scratch database. */
async function verifyEach(context: ScriptContext, targets: readonly VerifyTarget[], inTransaction: boolean): Promise<Checked> {
  const results: VerifyResult[] = [];
  let stopped: string | undefined;
  for (const { migration, rollback } of targets) {
    const result = (outcome: VerifyOutcome, problems: readonly string[]): void =>
      void results.push({ version: migration.version, name: migration.name, path: migration.path, outcome, problems });
    if (stopped) {
      result('not verified', [stopped]);
      continue;
    }
    // What the rollback left behind, once known: often the reason the migration cannot be applied again.
    let leftBehind: string[] = [];
    try {
      if (!rollback) {
        // Applied anyway: the migrations after it are checked on top of it.
        await execute(context, migration, 'apply');
        result('no rollback', [`${migration.path} has no rollback file; nothing to check`]);
        continue;
      }
      const [unwritten] = unwrittenRollback(rollback, analyzeScript(rollback));
      if (unwritten) {
        await execute(context, migration, 'apply');
        result('unwritten', [`${unwritten.message.replace(', so nothing was reverted', '')}; ${unwritten.hint}`]);
        continue;
      }
      const before = await takeSnapshot(context.session, context.table);
      await execute(context, migration, 'apply');
      const applied = await takeSnapshot(context.session, context.table);
      const failed = await revertRecoverably(context, rollback, inTransaction);
      if (failed !== undefined) {
        // The migration's work stands, as after up: the migrations after it are still checked on top of it.
        result('fail', [failed]);
        continue;
      }
      leftBehind = describeDifferences(before, await takeSnapshot(context.session, context.table), 'rollback');
      await execute(context, migration, 'reapply');
      const reapplied = await takeSnapshot(context.session, context.table);
      const problems = [...leftBehind, ...describeDifferences(applied, reapplied, 'reapply')];
      result(problems.length === 0 ? 'pass' : 'fail', problems);
    } catch (error) {
      if (!isPgshiftError(error) || error.code === 'INTERRUPTED' || error.code === 'CONNECTION_LOST') throw error;
      result('fail', [...leftBehind, error.message]);
      stopped = `not verified: ${migration.path} failed before it`;
    }
  }
  return { results, stopped };
}

/** The migrations' results, and why the checks after them could not run (a migration failed), if they could not. */
interface Checked {
  readonly results: VerifyResult[];
  readonly stopped: string | undefined;
}

/**
 * After the migrations' results, the repeatable files' (`up` runs them after the migrations): each is run
 * twice in a row, as a changed one runs again over its earlier self, and must leave the schema as its first
 * run did. Not verified when a migration failed before them.
 */
async function withRepeatables(context: ScriptContext, { results: migrations, stopped }: Checked, files: readonly RepeatableFile[]): Promise<VerifyResult[]> {
  const results = [...migrations];
  for (const file of files) {
    const result = (outcome: VerifyOutcome, problems: readonly string[]): void => void results.push({ name: file.name, path: file.path, outcome, problems });
    if (stopped) {
      result('not verified', [stopped]);
      continue;
    }
    try {
      await execute(context, file, 'apply');
      const once = await takeSnapshot(context.session, context.table);
      await execute(context, file, 'again');
      result('pass', describeDifferences(once, await takeSnapshot(context.session, context.table), 'again'));
    } catch (error) {
      if (!isPgshiftError(error) || error.code === 'INTERRUPTED' || error.code === 'CONNECTION_LOST') throw error;
      result('fail', [error.message]);
    }
  }
  return results.map((result) => (result.outcome === 'pass' && result.problems.length > 0 ? { ...result, outcome: 'fail' } : result));
}

const REVERT_SAVEPOINT = 'pgshift_verify_revert';

/**
 * Runs a rollback; when it fails and the database can be had back as the migration left it, returns the
 * failure instead of throwing. In verify's transaction a savepoint takes it back; in a scratch database a
 * transactional rollback rolled itself back. A no-transaction rollback that stopped partway left part of its
 * work behind, so its failure is thrown and stops the checks after it.
 */
async function revertRecoverably(context: ScriptContext, rollback: SqlFile, inTransaction: boolean): Promise<string | undefined> {
  if (inTransaction) await context.session.execute(`SAVEPOINT ${REVERT_SAVEPOINT}`);
  try {
    await execute(context, rollback, 'revert');
  } catch (error) {
    const recoverable = inTransaction || analyzeScript(rollback).directives.transaction;
    if (!isPgshiftError(error) || error.code !== 'MIGRATION_FAILED' || !recoverable) throw error;
    // Also undoes any SET the rollback made before it failed: the session is as the migration left it.
    if (inTransaction) await context.session.execute(`ROLLBACK TO SAVEPOINT ${REVERT_SAVEPOINT}`);
    return error.message;
  }
  if (inTransaction) await context.session.execute(`RELEASE SAVEPOINT ${REVERT_SAVEPOINT}`);
  return undefined;
}

const STEP_WORDS = {
  apply: 'the migration failed',
  revert: 'the rollback failed',
  reapply: 'the migration failed when applied again after its rollback',
  again: 'the repeatable file failed when run a second time (up runs it again over its earlier self)',
} as const;

function execute(context: ScriptContext, file: ScriptFile, step: keyof typeof STEP_WORDS): Promise<void> {
  return replayFile(context, file, { failure: STEP_WORDS[step], hint: 'verify changes nothing: fix the file and run verify again' });
}

export function needsScratch(targets: readonly VerifyTarget[]): boolean {
  return targets.some(({ migration, rollback }) =>
    [migration, rollback].some((file) => file !== undefined && !analyzeScript(file).directives.transaction),
  );
}
