/**
 * What a run sends, step by step, built once: the executor sends these steps, and a dry run prints the same
 * steps, so the dry run is what the run sends by construction. Each step is headed by a comment naming its
 * file for the dry run; the executor never sends the header.
 */
import type { ScriptAnalysis } from '../core/file-analysis.js';
import type { DownStep } from '../core/plan-down.js';
import type { PlannedMigration } from '../core/plan-up.js';
import type { PlannedRepeatable } from '../core/plan-repeatables.js';
import type { RepeatableFile, SqlFile } from '../core/types.js';
import type { Previous } from '../db/committed.js';
import { lockKey, lockSql } from '../db/lock.js';
import { CLIENT_ENCODING_SQL } from '../db/session-state.js';
import type { LedgerTable } from '../db/ledger.js';
import {
  applyScript,
  noTransactionRevertScript,
  noTransactionScript,
  repeatableScript,
  revertScript,
  type RepeatableSetup,
  timeoutsFor,
  type LedgerSetup,
  type Script,
  type Timeouts,
} from '../db/wire-sql.js';
import { ledgerAfter, type TransactionLock } from '../db/xact-lock.js';
import type { NoTransactionRun, RevertRun } from '../executor/apply.js';

/** A transaction applying one file, or with --single-transaction all of them; or one no-transaction file. */
export type UpStep =
  | { readonly header: string; readonly migrations: readonly PlannedMigration[]; readonly script: Script }
  | { readonly header: string; readonly noTransaction: NoTransactionRun };

/** One repeatable file in its own transaction with its row. */
export interface RepeatableStep {
  readonly header: string;
  readonly file: RepeatableFile;
  readonly script: Script;
}

/** One rollback: a transaction (`script`), or a no-transaction rollback sent statement by statement. */
export interface RevertStep extends RevertRun {
  readonly header: string;
}

/**
 * Only the first step creates or upgrades the ledger (`createLedger`): the steps after it find it ready.
 * Under --lock transaction (`lock`) each transaction checks for the ledger the steps before it leave; under
 * the session lock, a transaction that follows another checks that one committed (pipelined, see send.ts).
 */
export function upSteps(
  table: LedgerTable,
  planned: readonly PlannedMigration[],
  createLedger: LedgerSetup | undefined,
  single: boolean,
  defaults: Timeouts,
  lock?: TransactionLock,
): UpStep[] {
  const applyStep = ({ file, analysis }: PlannedMigration) => ({ file, timeouts: timeoutsFor(analysis.directives, defaults) });
  if (single && planned.length > 0) {
    return [{ header: planned.map(header).join(''), migrations: planned, script: applyScript(table, planned.map(applyStep), createLedger, lock, true) }];
  }
  return planned.map((step, index) => {
    const [create, first] = index === 0 ? [createLedger, true] : [undefined, false];
    const before = lock && ledgerAfter(lock, planned.slice(0, index).map(({ file }) => file.version), []);
    const previous = lock === undefined ? transactionBefore(planned[index - 1]) : undefined;
    if (step.analysis.directives.transaction) {
      return { header: header(step), migrations: [step], script: applyScript(table, [applyStep(step)], create, before, first, previous) };
    }
    return { header: header(step), noTransaction: { planned: step, timeouts: timeoutsFor(step.analysis.directives, defaults), createLedger: create, makeSchema: first } };
  });
}

/**
 * Everything up sends, and its dry run prints: the migrations' steps, then the repeatable files'. With no
 * migration to run, the first repeatable file makes the ledger it is checked against.
 */
export function upRunSteps(
  table: LedgerTable,
  migrations: { readonly planned: readonly PlannedMigration[]; readonly createLedger: LedgerSetup | undefined },
  repeatables: { readonly planned: readonly PlannedRepeatable[]; readonly createTable: boolean },
  single: boolean,
  defaults: Timeouts,
  lock?: TransactionLock,
): { readonly steps: UpStep[]; readonly repeated: RepeatableStep[] } {
  const { planned, createLedger } = migrations;
  const steps = upSteps(table, planned, createLedger, single, defaults, lock);
  const after = lock && ledgerAfter(lock, planned.map(({ file }) => file.version), []);
  const setup = { createTable: repeatables.createTable, ...(planned.length === 0 ? { createLedger, makeSchema: true } : {}) };
  return { steps, repeated: repeatableSteps(table, repeatables.planned, setup, defaults, after) };
}

/**
 * The repeatable files' transactions, after the migrations': the first makes what is missing (`setup`: their
 * table when none was read, the ledger when no migration ran to make it). Under --lock transaction each
 * checks for the ledger the migrations before it leave (`lock`).
 */
function repeatableSteps(table: LedgerTable, planned: readonly PlannedRepeatable[], setup: RepeatableSetup, defaults: Timeouts, lock?: TransactionLock): RepeatableStep[] {
  return planned.map(({ file, analysis }, index) => ({
    header: comment(`${file.path} (repeatable)`),
    file,
    script: repeatableScript(table, file, timeoutsFor(analysis.directives, defaults), index === 0 ? setup : { createTable: false }, lock),
  }));
}

export function revertSteps(table: LedgerTable, steps: readonly DownStep[], defaults: Timeouts, lock?: TransactionLock): RevertStep[] {
  return steps.map((step, index) => {
    const timeouts = timeoutsFor(step.analysis.directives, defaults);
    // A partial migration has no ledger row: reverting it leaves the ledger as it was.
    const before = lock && ledgerAfter(lock, [], steps.slice(0, index).filter(({ partial }) => !partial).map(({ version }) => version));
    const last = steps[index - 1];
    const previous = lock === undefined ? transactionBefore(last && { file: last.rollback, analysis: last.analysis }) : undefined;
    return {
      header: comment(`${step.rollback.path} (reverts version ${step.version})`),
      step,
      timeouts,
      script: step.analysis.directives.transaction ? revertScript(table, step.rollback, timeouts, step.partial, before, previous) : undefined,
    };
  });
}

/** The step before, when it is a transaction the next may be sent behind (a no-transaction file is waited for). */
function transactionBefore(step: { readonly file: SqlFile; readonly analysis: ScriptAnalysis } | undefined): Previous | undefined {
  return step?.analysis.directives.transaction ? { version: step.file.version, path: step.file.path } : undefined;
}

/** The dry run's text of up steps, and of the repeatable files after them: each step's header and everything it sends when nothing fails. */
export function upText(table: LedgerTable, steps: readonly UpStep[], repeatables: readonly RepeatableStep[] = []): string {
  return [
    ...steps.map((step) => `${step.header}${'script' in step ? step.script.text : noTransactionText(table, step.noTransaction)}`),
    ...repeatables.map((step) => `${step.header}${step.script.text}`),
  ].join('\n');
}

export function revertText(table: LedgerTable, steps: readonly RevertStep[]): string {
  return steps.map(({ header, step, timeouts, script }) => `${header}${script ? script.text : noTransactionRevertScript(table, step, timeouts)}`).join('\n');
}

/**
 * A dry run speaks UTF-8 (CLIENT_ENCODING_SQL) and takes the migration lock the way the run does, so that
 * psql passes the scripts' lock guards. Under --lock transaction (`pooled`) each transaction takes its own:
 * the text is what is sent, as it is.
 */
export function lockedText(table: LedgerTable, sql: string, pooled = false): string {
  const key = lockKey(table);
  if (sql === '') return sql;
  return `${CLIENT_ENCODING_SQL}${pooled ? sql : `${lockSql(key, true)}\n${sql}\n${lockSql(key, false)}`}`;
}

function header(step: PlannedMigration): string {
  return comment(`${step.file.path} (version ${step.file.version})`);
}

/** A one-line SQL comment: a line break in a path (a folder may have one) would end it and run the rest. */
function comment(text: string): string {
  return `-- ${text.replaceAll('\r', '\\r').replaceAll('\n', '\\n')}\n`;
}

function noTransactionText(table: LedgerTable, { planned, timeouts, createLedger, makeSchema }: NoTransactionRun): string {
  return noTransactionScript(table, planned.file, planned.analysis.statements, planned.progress?.statementHashes.length ?? 0, timeouts, createLedger, makeSchema);
}
