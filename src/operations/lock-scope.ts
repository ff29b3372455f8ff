/**
 * What `--lock transaction` allows. Through a transaction-mode pooler only work that fits in single
 * transactions can be trusted: the transactions up and down send (each carrying its own lock and ledger
 * check) and reads. Whatever needs the session for longer is refused before anything runs.
 */
import type { ResolvedOptions } from '../config/migrator-options.js';
import { failValidation, PgshiftError, type Problem } from '../core/errors.js';
import type { ScriptAnalysis } from '../core/file-analysis.js';
import type { SqlFile } from '../core/types.js';
import type { TransactionLock } from '../db/xact-lock.js';

/** What each transaction of the run carries under --lock transaction; undefined under the session lock. */
export function transactionLock(context: ResolvedOptions, ledger: readonly number[] | undefined): TransactionLock | undefined {
  return context.lockScope === 'transaction' ? { ledger } : undefined;
}

/** Refuses a command that cannot run under --lock transaction (USAGE), before it connects. */
export function refuseTransactionLock(context: ResolvedOptions, command: string): void {
  if (context.lockScope !== 'transaction') return;
  throw new PgshiftError('USAGE', `--lock transaction is for up, down, status, validate and drift, not ${command}`, {
    hint: `${command} needs one session for all of its work: connect to the server itself (not through a transaction-mode pooler) and leave out --lock transaction`,
  });
}

/** A file that runs outside a transaction, under --lock transaction: a NEEDS_SESSION problem. */
export function needsSession(files: ReadonlyArray<{ readonly file: SqlFile; readonly analysis: ScriptAnalysis }>): Problem[] {
  return files
    .filter(({ analysis }) => !analysis.directives.transaction)
    .map(({ file }) => ({
      code: 'NEEDS_SESSION',
      file: file.path,
      version: file.version,
      message: `${file.path} runs outside a transaction (pgshift:no-transaction), which --lock transaction cannot do`,
      hint: 'through a transaction-mode pooler its statements and the records of its progress could reach different server connections: apply it connected to the server itself, without --lock transaction',
    }));
}

/** Stops the run before anything is sent when, under --lock transaction, one of `files` runs outside a transaction. */
export function refuseSessionFiles(context: ResolvedOptions, files: ReadonlyArray<{ readonly file: SqlFile; readonly analysis: ScriptAnalysis }>): void {
  if (context.lockScope !== 'transaction') return;
  const problems = needsSession(files);
  if (problems.length > 0) failValidation(problems);
}
