/**
 * Applying and reverting migrations over one session: transactional files as one message each (retried as
 * a whole when a lock timeout stopped them), no-transaction files statement by statement with their
 * progress recorded, so a failure or a crash resumes at the statement that did not finish.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defined } from '../core/defined.js';
import { isPgshiftError, rewrap } from '../core/errors.js';
import type { DownStep } from '../core/plan-down.js';
import type { PlannedMigration } from '../core/plan-up.js';
import { quoteLiteral } from '../core/sql-quote.js';
import { createdIndexName } from '../core/statement-kinds.js';
import type { ScriptStatement } from '../core/file-analysis.js';
import { lockGuardSql, lockKey, lockLostAt } from '../db/lock.js';
import { RECORDED } from '../db/ledger.js';
import { failedSql, runningSql, statementDoneSql } from '../db/progress.js';
import {
  aloneScript,
  noTransactionFinishSql,
  noTransactionRevertStartSql,
  noTransactionStartSql,
  revertRowSql,
  statementScript,
  noTransactionSettingsSql,
  type LedgerSetup,
  type Script,
  type Timeouts,
} from '../db/wire-sql.js';
import { SESSION_RESET_SQL } from '../db/session-state.js';
import { describeLockHolders } from './contention.js';
import { lockLost } from './failure.js';
import { interrupted, sendScript, type Pipelining, type ScriptContext, type Sent, type SentAhead } from './send-script.js';

const APPLY_HINT =
  "the migration's transaction was rolled back: nothing from this file was applied and no ledger row was written; fix the file and run up again";

export interface RetryPolicy {
  readonly retries: number;
  /** Wait before the first retry; doubled for each next one. */
  readonly firstDelayMs: number;
}

export interface Applied {
  /** Each applied version's execution time as its ledger row records it. */
  readonly recorded: ReadonlyMap<number, number>;
  /** The next script, sent behind this one (Pipelining.follow). */
  readonly ahead?: SentAhead | undefined;
}

/**
 * Runs a transactional script; a lock timeout rolls it back whole, so it is simply sent again (and only its
 * first attempt is pipelined).
 */
export async function applyTransactional(context: ScriptContext, script: Script, retry: RetryPolicy, pipelining: Pipelining = {}): Promise<Applied> {
  for (let attempt = 0; ; attempt++) {
    const recorded = new Map<number, number>();
    const onRow = (row: Readonly<Record<string, unknown>>): void => {
      if (row[RECORDED.version] !== undefined) recorded.set(Number(row[RECORDED.version]), Number(row[RECORDED.ms]));
    };
    try {
      const { ahead } = await sendScript(context, script, { code: 'MIGRATION_FAILED', hint: APPLY_HINT }, onRow, attempt === 0 ? pipelining : {});
      return { recorded, ahead };
    } catch (error) {
      if (!isPgshiftError(error) || error.sql?.sqlState !== '55P03') throw error;
      if (attempt >= retry.retries) {
        const holders = await describeLockHolders(context.session).catch(() => 'could not list the sessions holding locks');
        throw rewrap(error, error.code, `${error.message} (gave up after ${retry.retries} ${retry.retries === 1 ? 'retry' : 'retries'})`, {
          hint: `the migration's transaction was rolled back: nothing from this file was applied and no ledger row was written. The file is not at fault: another session holds a lock it needs. ${holders}. Run up again once that session is done, or give the file more time with --lock-timeout or -- pgshift:lock-timeout`,
        });
      }
      const delay = retry.firstDelayMs * 2 ** attempt;
      context.logger.warn(`${error.message}: lock timeout; retry ${attempt + 1} of ${retry.retries} in ${delay} ms`, {
        file: error.sql?.file,
        attempt: attempt + 1,
      });
      try {
        await sleep(delay, undefined, defined({ signal: context.signal }));
      } catch {
        throw interrupted(error.sql?.file);
      }
    }
  }
}

export interface NoTransactionRun {
  readonly planned: PlannedMigration;
  readonly timeouts: Timeouts;
  readonly createLedger: LedgerSetup | undefined;
  /** The run's first step: it makes --schema's schema when missing. */
  readonly makeSchema?: boolean;
}

/**
 * Runs a no-transaction file one statement at a time. Each statement that may run in a transaction commits
 * with the record that it ran; each that may not is marked as running first and recorded once it completed.
 * The ledger row replaces the progress row when the last statement is done.
 */
export async function applyNoTransaction(context: ScriptContext, run: NoTransactionRun): Promise<number> {
  const { session, table, logger } = context;
  const { file, analysis, progress } = run.planned;
  const statements = analysis.statements;
  const started = performance.now();
  await session.execute(noTransactionStartSql(table, file, statements.length, run.createLedger, run.makeSchema));
  let done = progress?.statementHashes.length ?? 0;
  if (done > 0) logger.info(`resuming ${file.path} at statement ${done + 1} of ${statements.length}`, { version: file.version });
  if (progress?.runningStatement === done && progress.createdIndex) {
    if (await settleCreatedIndex(context, run, progress.createdIndex, statements[done])) done++;
  }

  await withSessionSettings(context, noTransactionSettingsSql(table, run.timeouts), async () => {
    for (; done < statements.length; done++) await applyStatement(context, run, done);
  });
  const durationMs = Math.round(performance.now() - started);
  await session.execute(noTransactionFinishSql(table, file, durationMs)).catch((error: unknown) => {
    const lost = lockLostAt(error);
    if (!lost) throw error;
    throw lockLost(lost.where, `every statement of ${file.path} ran and is recorded; up records it as applied when run again`);
  });
  return durationMs;
}

async function applyStatement(context: ScriptContext, run: NoTransactionRun, index: number): Promise<void> {
  const { session, table } = context;
  const { file, analysis } = run.planned;
  const statement = analysis.statements[index] as ScriptStatement;
  const stopped = stoppedHint(file.path, index, analysis.statements.length, statement.outsideTransaction !== undefined);
  const createdIndex = statement.outsideTransaction ? await untakenIndexName(context, statement) : undefined;
  if (statement.outsideTransaction) {
    await sendScript(context, { text: `${lockGuardSql(lockKey(table))}${runningSql(table, file.version, index, createdIndex)}`, parts: [], transaction: false }, {
      code: 'MIGRATION_FAILED',
      hint: 'nothing was run',
      stopped: stoppedHint(file.path, index, analysis.statements.length, false),
    });
  }

  try {
    await sendScript(context, statementScript(table, file, statement), {
      code: 'MIGRATION_FAILED',
      hint: index === 0 ? `nothing from this file was applied; fix statement 1 and run up again` : `${recordedPart(index, analysis.statements.length)}; fix statement ${index + 1} and run up again: pgshift resumes there`,
      stopped,
      ledgerChanged: `${recordedPart(index, analysis.statements.length)}; statement ${index + 1} is not applied, and up resumes ${file.path} there`,
    });
  } catch (error) {
    if (!isPgshiftError(error)) throw error;
    const left = createdIndex ? await invalidIndex(context, createdIndex) : undefined;
    await session.execute(failedSql(table, file.version, error.message, left !== undefined)).catch(() => undefined);
    if (!left) throw error;
    throw rewrap(error, error.code, error.message, {
      hint: `${error.hint ?? stopped}. It left the INVALID index ${left} behind, which pgshift drops before running the statement again (or: DROP INDEX CONCURRENTLY ${left};)`,
    });
  }
  if (statement.outsideTransaction) await session.execute(statementDoneSql(table, file, statement));
}

function recordedPart(done: number, total: number): string {
  if (done === 0) return 'no statement of this no-transaction file is applied yet';
  const ran = done === 1 ? `statement 1 of ${total} ran and is recorded` : `statements 1-${done} of ${total} ran and are recorded`;
  return `${ran} (status shows the file as partial (${done}/${total}))`;
}

/** Where a no-transaction file stands when the run stops during statement `index` (0-based), and where up resumes. */
function stoppedHint(path: string, index: number, total: number, outside: boolean): string {
  const running = outside
    ? `statement ${index + 1} was stopped outside a transaction, so it may have done part of its work; up checks what it left (an INVALID index is dropped) and`
    : `statement ${index + 1} was cancelled with its transaction and recorded nothing; up`;
  return `${recordedPart(index, total)}; ${running} resumes ${path} at statement ${index + 1} when run again`;
}

/**
 * The index a CREATE INDEX statement is about to create, if no index of that name exists yet anywhere in
 * the database: an invalid index of that name found later is then provably this statement's.
 */
async function untakenIndexName(context: ScriptContext, statement: ScriptStatement): Promise<string | undefined> {
  const name = createdIndexName(statement.words);
  if (name === undefined) return undefined;
  return (await indexesNamed(context, name)).length === 0 ? name : undefined;
}

/** Indexes called `name` in any schema, with their quoted qualified names (ready for SQL) and validity. */
async function indexesNamed(context: ScriptContext, name: string): Promise<ReadonlyArray<{ qualified: string; valid: boolean }>> {
  const { rows } = await context.session.query<{ qualified: string; valid: boolean }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS qualified, i.indisvalid AS valid
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_index i ON i.indexrelid = c.oid
      WHERE c.relname = ${quoteLiteral(name)}`,
  );
  return rows;
}

async function invalidIndex(context: ScriptContext, name: string): Promise<string | undefined> {
  const found = await indexesNamed(context, name);
  const only = found[0];
  return found.length === 1 && only && !only.valid ? only.qualified : undefined;
}

/**
 * A CREATE INDEX CONCURRENTLY was running when the last run stopped. If its index is there and valid the
 * statement completed and is recorded now; if it is there and invalid it is dropped so the statement can
 * run again. Returns whether the statement counts as done.
 */
async function settleCreatedIndex(
  context: ScriptContext,
  run: NoTransactionRun,
  name: string,
  statement: ScriptStatement | undefined,
): Promise<boolean> {
  const { session, table, logger } = context;
  const found = await indexesNamed(context, name);
  const only = found[0];
  if (!only || found.length !== 1 || !statement) return false;
  if (only.valid) {
    logger.info(`${run.planned.file.path}: index ${only.qualified} was completed before the last run stopped; recording it`);
    await session.execute(statementDoneSql(table, run.planned.file, statement));
    return true;
  }
  logger.warn(`${run.planned.file.path}: dropping the INVALID index ${only.qualified} left by the failed CREATE INDEX CONCURRENTLY before running it again`);
  await session.execute(`DROP INDEX CONCURRENTLY IF EXISTS ${only.qualified}`);
  return false;
}

const REVERT_HINT =
  "the rollback's transaction was rolled back: the migration is still applied and its ledger row kept; fix the rollback and run down again";

export interface RevertRun {
  readonly step: DownStep;
  readonly timeouts: Timeouts;
  /** The whole revert for a transactional rollback; none for a no-transaction one, sent statement by statement. */
  readonly script: Script | undefined;
}

/**
 * Reverts one migration. A transactional rollback commits with the deletion of the migration's ledger (or
 * progress) row, and may be pipelined; a no-transaction rollback runs its statements one at a time and
 * deletes the row last.
 */
export async function revert(context: ScriptContext, { step, timeouts, script }: RevertRun, pipelining: Pipelining = {}): Promise<Sent> {
  const { session, table } = context;
  const { rollback, analysis, partial } = step;
  if (script) return sendScript(context, script, { code: 'ROLLBACK_FAILED', hint: REVERT_HINT }, undefined, pipelining);
  const started = performance.now();
  await withSessionSettings(context, noTransactionRevertStartSql(table, rollback, timeouts), async () => {
    for (const [index, statement] of analysis.statements.entries()) {
      const done = `statements 1-${index} of this no-transaction rollback ran and the migration is still recorded as applied`;
      await sendScript(context, aloneScript(rollback, statement), {
        code: 'ROLLBACK_FAILED',
        hint: `${done}; make its statements safe to run twice (IF EXISTS) and run down again`,
        stopped: `${done}; run down again (its statements must be safe to run twice: IF EXISTS)`,
      });
    }
  });
  await session.execute(revertRowSql(table, step.version, partial));
  return { durationMs: Math.round(performance.now() - started) };
}

/**
 * Statements outside a transaction get the file's name and timeouts for the session (`opening`); the
 * session is reset to the connection's own state afterwards, however the statements ended.
 */
async function withSessionSettings(context: ScriptContext, opening: string, work: () => Promise<void>): Promise<void> {
  await context.session.execute(opening);
  try {
    await work();
  } finally {
    await context.session.execute(SESSION_RESET_SQL).catch(() => undefined);
  }
}
