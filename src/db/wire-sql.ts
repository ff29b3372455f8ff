/**
 * The exact texts sent to the server. A transactional migration is one simple-protocol message holding the
 * transaction, its timeouts, the file, the reset of the session state it left, the check that it left the
 * ledger alone and its ledger statement, so it costs one round trip and commits with its ledger row or not
 * at all. A dry run prints these same texts.
 */
import type { Directives } from '../core/directives.js';
import type { DownStep } from '../core/plan-down.js';
import type { ScriptStatement } from '../core/file-analysis.js';
import { quoteLiteral } from '../core/sql-quote.js';
import type { RepeatableFile, ScriptFile, SqlFile } from '../core/types.js';
import { appliedElsewhereSql, createRepeatSql, recordRepeatSql } from './repeat-table.js';
import { committedSql, committedStatement, type Previous } from './committed.js';
import { createLedgerSql, deleteLedgerRowSql, insertLedgerRowSql, type LedgerSetup, type LedgerTable } from './ledger.js';
import { guardSalt, ledgerSnapshotSql, ledgerUnchangedSql, SESSION_CHECK_SQL } from './ledger-guard.js';
import { lockGuardSql, lockGuardStatement, lockKey } from './lock.js';
import { clearProgressSql, createProgressSql, runningSql, startProgressSql, statementDoneSql } from './progress.js';
import { fileStartedSql, fileStartedStatement, OWN_ROLE_SQL, schemaSql, SESSION_RESET_SQL, sessionSettingsSql, settingsStatement, versionSql } from './session-state.js';
import { transactionOpeningSql, type TransactionLock } from './xact-lock.js';

/** A stretch of a script's text copied from a file, to map server error positions back to that file. */
export interface ScriptPart {
  readonly file: ScriptFile;
  /** Where the copy starts and ends in the script's text. */
  readonly start: number;
  readonly end: number;
  /** Where the copy starts in the file's text. */
  readonly fileOffset: number;
  /** True when the part is one statement, so an error without a position is already located. */
  readonly oneStatement: boolean;
}

export interface Script {
  readonly text: string;
  readonly parts: readonly ScriptPart[];
  /** Whether the text opens a transaction, which a failure leaves to be rolled back. */
  readonly transaction: boolean;
}

/** Timeouts for a file's statements: the file's directives, else the run's options. */
export interface Timeouts {
  readonly lockTimeout: string;
  readonly statementTimeout?: string | undefined;
}

export type { LedgerSetup } from './ledger.js';

export function timeoutsFor(directives: Directives, defaults: Timeouts): Timeouts {
  return {
    lockTimeout: directives.lockTimeout ?? defaults.lockTimeout,
    statementTimeout: directives.statementTimeout ?? defaults.statementTimeout,
  };
}

/** `SET LOCAL` inside a transaction (it ends with it); plain `SET` for a no-transaction file's session. */
export function timeoutsSql(timeouts: Timeouts, scope: 'LOCAL' | 'SESSION'): string {
  const set = scope === 'LOCAL' ? 'SET LOCAL' : 'SET';
  const statement = timeouts.statementTimeout === undefined ? '' : `${set} statement_timeout = ${quoteLiteral(timeouts.statementTimeout)};\n`;
  return `${set} lock_timeout = ${quoteLiteral(timeouts.lockTimeout)};\n${statement}`;
}

function guard(table: LedgerTable, where?: string): string {
  return lockGuardSql(lockKey(table), where);
}

/** How a migration transaction opens: the session lock's guard, or under --lock transaction the lock itself (xact-lock.ts). */
function opening(table: LedgerTable, lock: TransactionLock | undefined): string {
  return lock ? transactionOpeningSql(table, lock) : guard(table);
}

/** A file's session reset, then the provenance setting again for the ledger row after it. */
function afterReset(table: LedgerTable): string {
  return `${SESSION_RESET_SQL}${versionSql(table.settings)}`;
}

class ScriptText {
  private text = '';
  private readonly parts: ScriptPart[] = [];

  sql(text: string): this {
    this.text += text;
    return this;
  }

  /**
   * The newline and semicolon after the copy end its last statement even when the file's last line is a
   * -- comment or lacks a semicolon.
   */
  copy(file: ScriptFile, from = 0, to = file.text.length, oneStatement = false): this {
    const start = this.text.length;
    this.text += file.text.slice(from, to);
    this.parts.push({ file, start, end: this.text.length, fileOffset: from, oneStatement });
    this.text += '\n;\n';
    return this;
  }

  done(): Script {
    return { text: this.text, parts: this.parts, transaction: this.text.startsWith('BEGIN;') };
  }
}

export interface ApplyStep {
  readonly file: SqlFile;
  readonly timeouts: Timeouts;
}

/**
 * One transaction applying one file, or with --single-transaction all of them, each with its ledger row.
 * Each file runs between a snapshot of the ledger and the check against it, and hands back a session reset
 * to the connection's own state. Its ledger row comes back as a result row: the execution time it records
 * is the one the run reports. Under the session lock it may be sent before the transaction of the file
 * before it (`previous`) has finished, and says when it committed for the one after it (committed.ts).
 */
export function applyScript(
  table: LedgerTable,
  steps: readonly ApplyStep[],
  createLedger?: LedgerSetup,
  lock?: TransactionLock,
  makeSchema = false,
  previous?: Previous,
): Script {
  // --schema's schema: made by the run's first transaction (`makeSchema`), or under --lock transaction by each opening.
  const made = lock !== undefined || makeSchema ? table.settings?.schema : undefined;
  const first = `${lock ? '' : schemaSql(made)}${ledgerSetupSql(table, made, createLedger)}`;
  // The session lock's guard runs first, in the first file's block unless the schema or the ledger must be
  // made before it, and again before and after each file of the transaction: a file may release the lock.
  const guardFirst = lock === undefined && first === '';
  const script = new ScriptText().sql(`BEGIN;\n${guardFirst ? '' : opening(table, lock)}${first}`);
  for (const [index, { file, timeouts }] of steps.entries()) {
    const guarded = lock === undefined && (guardFirst || index > 0);
    const after = index === 0 && previous !== undefined ? committedStatement(previous, 'up') : '';
    script
      .sql(`${ledgerSnapshotSql(table, file.version, `${after}${beforeFile(table, 'up', file.path, guarded)}`)}${timeoutsSql(timeouts, 'LOCAL')}`)
      .copy(file)
      .sql(`${SESSION_CHECK_SQL}${ledgerUnchangedSql(table, file, afterFile(table, file.path, lock === undefined))}${afterReset(table)}${insertLedgerRowSql(table, file, { afterOthers: index > 0 })}`);
  }
  return script.sql(`${lock === undefined ? committedSql(steps.at(-1)?.file.version ?? 0) : ''}COMMIT;\n`).done();
}

/** What the first repeatable file of a run makes first: its table, and the ledger (and --schema's schema) when no migration ran to make them. */
export interface RepeatableSetup {
  readonly createTable: boolean;
  readonly createLedger?: LedgerSetup | undefined;
  readonly makeSchema?: boolean;
}

/**
 * One repeatable file in a transaction of its own with its row (`<ledger>_repeat`), between the ledger's
 * snapshot and check as a migration is, with the session lock's guards and timeouts as a migration has them.
 * Under --lock transaction another run may have applied this same text since it was read: the transaction
 * then fails before the file (REPEATED_STATE), and the run goes on without it.
 */
export function repeatableScript(table: LedgerTable, file: RepeatableFile, timeouts: Timeouts, setup: RepeatableSetup, lock?: TransactionLock): Script {
  const guarded = lock === undefined;
  const made = lock !== undefined || setup.makeSchema === true ? table.settings?.schema : undefined;
  const first = `${lock ? '' : schemaSql(made)}${ledgerSetupSql(table, made, setup.createLedger)}${setup.createTable ? createRepeatSql(table) : ''}`;
  return new ScriptText()
    .sql(`BEGIN;\n${lock ? `${opening(table, lock)}${appliedElsewhereSql(table, file)}` : ''}${first}`)
    .sql(`${ledgerSnapshotSql(table, guardSalt(file), beforeFile(table, 'up', file.path, guarded))}${timeoutsSql(timeouts, 'LOCAL')}`)
    .copy(file)
    .sql(`${SESSION_CHECK_SQL}${ledgerUnchangedSql(table, file, afterFile(table, file.path, guarded))}${afterReset(table)}${recordRepeatSql(table, file)}COMMIT;\n`)
    .done();
}

/**
 * What a file's first block does before the ledger snapshot: the session lock's guard where this transaction
 * needs it (`guarded`), naming the file, then the session's name for it and the session's settings.
 */
function beforeFile(table: LedgerTable, command: 'up' | 'down', path: string, guarded: boolean): string {
  return `${guarded ? guardBefore(table, path) : ''}${fileStartedStatement(command, path)}${settingsStatement(table.settings)}`;
}

function guardBefore(table: LedgerTable, path: string): string {
  return lockGuardStatement(lockKey(table), `before ${path}`);
}

/** The ledger's creation when the transaction must make it, after --schema's schema (`made`) when that is its schema. */
function ledgerSetupSql(table: LedgerTable, made: string | undefined, createLedger: LedgerSetup | undefined): string {
  if (createLedger === undefined) return '';
  return createLedgerSql(table, 'schemaExists' in createLedger && made === table.schema ? { schemaExists: true } : createLedger);
}

/**
 * The session lock's guard again after the file, before its ledger row (`guarded`): a file that released
 * the lock (pg_advisory_unlock_all()) is rolled back with nothing recorded, the last file of a run too.
 */
function afterFile(table: LedgerTable, path: string, guarded: boolean): string {
  return guarded ? lockGuardStatement(lockKey(table), `while ${path} ran`) : '';
}

/**
 * A rollback with the deletion of its ledger row, or of its progress row when the migration was partial; it
 * follows `previous` as a migration's transaction does (applyScript).
 */
export function revertScript(table: LedgerTable, rollback: SqlFile, timeouts: Timeouts, partial: boolean, lock?: TransactionLock, previous?: Previous): Script {
  const after = previous === undefined ? '' : committedStatement(previous, 'down');
  return new ScriptText()
    .sql(`BEGIN;\n${lock ? opening(table, lock) : ''}${ledgerSnapshotSql(table, rollback.version, `${after}${beforeFile(table, 'down', rollback.path, lock === undefined)}`)}${timeoutsSql(timeouts, 'LOCAL')}`)
    .copy(rollback)
    .sql(`${SESSION_CHECK_SQL}${ledgerUnchangedSql(table, rollback, afterFile(table, rollback.path, lock === undefined))}${afterReset(table)}`)
    .sql(partial ? clearProgressSql(table, rollback.version) : deleteLedgerRowSql(table, rollback.version))
    .sql(`${lock === undefined ? committedSql(rollback.version) : ''}COMMIT;\n`)
    .done();
}

/**
 * One statement of a no-transaction migration. A statement that can run in a transaction commits together
 * with the record that it ran; one that cannot is sent alone (a multi-statement message is itself a
 * transaction block) and recorded by the caller once it has completed.
 */
export function statementScript(table: LedgerTable, file: SqlFile, statement: ScriptStatement): Script {
  if (statement.outsideTransaction) return aloneScript(file, statement);
  return new ScriptText()
    .sql(`BEGIN;\n${ledgerSnapshotSql(table, file.version, guardBefore(table, file.path))}`)
    .copy(file, statement.start, statement.end, true)
    .sql(`${OWN_ROLE_SQL}${ledgerUnchangedSql(table, file, afterFile(table, file.path, true))}${statementDoneSql(table, file, statement)}COMMIT;\n`)
    .done();
}

/** One statement sent on its own, in no transaction but the implicit one of a single statement. */
export function aloneScript(file: ScriptFile, statement: ScriptStatement): Script {
  return new ScriptText().copy(file, statement.start, statement.end, true).done();
}

/** Opens a no-transaction file's run: the ledger if needed, the progress table, and the file's progress row. */
export function noTransactionStartSql(table: LedgerTable, file: SqlFile, statementCount: number, createLedger?: LedgerSetup, makeSchema = false): string {
  const made = makeSchema ? table.settings?.schema : undefined;
  // client_min_messages: CREATE TABLE IF NOT EXISTS would otherwise log a NOTICE on every resume.
  return `BEGIN;\n${guard(table)}${fileStartedSql('up', file.path)}SET LOCAL client_min_messages = warning;\n${schemaSql(made)}${ledgerSetupSql(table, made, createLedger)}${createProgressSql(table)}${startProgressSql(table, file, statementCount)}COMMIT;\n`;
}

/** A no-transaction file's settings for the session its statements run in: the session's own, and its timeouts. */
export function noTransactionSettingsSql(table: LedgerTable, timeouts: Timeouts): string {
  return `${sessionSettingsSql(table.settings)}${timeoutsSql(timeouts, 'SESSION')}`;
}

/** Closes a no-transaction file's run: its ledger row replaces its progress row, atomically. */
export function noTransactionFinishSql(table: LedgerTable, file: SqlFile, executionMs?: number): string {
  return `BEGIN;\n${guard(table, `before ${file.path} was recorded as applied`)}${versionSql(table.settings)}${insertLedgerRowSql(table, file, { executionMs })}${clearProgressSql(table, file.version)}COMMIT;\n`;
}

/**
 * Everything a no-transaction file sends when nothing fails, in order, from statement `from` on: what a
 * dry run prints. The run itself sends these same pieces one at a time, with checks in between.
 */
export function noTransactionScript(
  table: LedgerTable,
  file: SqlFile,
  statements: readonly ScriptStatement[],
  from: number,
  timeouts: Timeouts,
  createLedger?: LedgerSetup,
  makeSchema = false,
): string {
  const pieces = [noTransactionStartSql(table, file, statements.length, createLedger, makeSchema), noTransactionSettingsSql(table, timeouts)];
  for (const [index, statement] of statements.entries()) {
    if (index < from) continue;
    if (statement.outsideTransaction) {
      pieces.push(runningSql(table, file.version, index, undefined), `${statementScript(table, file, statement).text}`, statementDoneSql(table, file, statement));
    } else {
      pieces.push(statementScript(table, file, statement).text);
    }
  }
  pieces.push(SESSION_RESET_SQL, noTransactionFinishSql(table, file));
  return pieces.join('');
}

/** Opens a no-transaction rollback: the session named after it, with its timeouts. */
export function noTransactionRevertStartSql(table: LedgerTable, rollback: SqlFile, timeouts: Timeouts): string {
  return `${fileStartedSql('down', rollback.path)}${noTransactionSettingsSql(table, timeouts)}`;
}

/** The end of a revert outside a transaction: the ledger row, or the progress row of a partial migration, goes. */
export function revertRowSql(table: LedgerTable, version: number, partial: boolean): string {
  return `BEGIN;\n${guard(table)}${partial ? clearProgressSql(table, version) : deleteLedgerRowSql(table, version)}COMMIT;\n`;
}

/** Everything a no-transaction rollback sends when nothing fails: what a dry run of down prints for it. */
export function noTransactionRevertScript(table: LedgerTable, step: DownStep, timeouts: Timeouts): string {
  const { rollback, analysis, partial } = step;
  return [
    noTransactionRevertStartSql(table, rollback, timeouts),
    ...analysis.statements.map((statement) => aloneScript(rollback, statement).text),
    SESSION_RESET_SQL,
    revertRowSql(table, step.version, partial),
  ].join('');
}

/** `baseline`: ledger rows for migrations that are already in the database, in one transaction. */
export function baselineSql(table: LedgerTable, files: readonly SqlFile[], createLedger?: LedgerSetup): string {
  return `BEGIN;\n${guard(table)}${versionSql(table.settings)}${createLedger ? createLedgerSql(table, createLedger) : ''}${files.map((file) => insertLedgerRowSql(table, file, { executionMs: 0 })).join('')}COMMIT;\n`;
}

/** A whole file on its own: a multi-statement message is one implicit transaction, all or nothing. */
export function fileScript(file: ScriptFile): Script {
  return new ScriptText().copy(file).done();
}
