/**
 * Running a file somewhere that is not the target's ledger: verify's checks and drift's scratch database.
 * Nothing is recorded; each file ends with the session reset `up` does after every file, so that a
 * `SET ROLE` in one file never decides whether the next one, or a snapshot after it, may run.
 */
import { isPgshiftError, rewrap } from '../core/errors.js';
import { analyzeScript } from '../core/file-analysis.js';
import type { ScriptFile } from '../core/types.js';
import { SESSION_RESET_SQL } from '../db/session-state.js';
import { aloneScript, fileScript } from '../db/wire-sql.js';
import { sendScript, type ScriptContext } from './send-script.js';

export interface ReplayWords {
  /** Put before the server's message: "the rollback failed". */
  readonly failure: string;
  /** What to do about a failure. */
  readonly hint: string;
}

/**
 * A transactional file is sent whole (its own implicit transaction, or part of one the caller opened); a
 * no-transaction one statement by statement, only its first `statements` when given.
 */
export async function replayFile(context: ScriptContext, file: ScriptFile, words: ReplayWords, statements?: number): Promise<void> {
  try {
    await sendFile(context, file, words, statements);
  } finally {
    await context.session.execute(SESSION_RESET_SQL).catch(() => undefined);
  }
}

async function sendFile(context: ScriptContext, file: ScriptFile, words: ReplayWords, statements: number | undefined): Promise<void> {
  const wording = { code: 'MIGRATION_FAILED', hint: words.hint } as const;
  const analysis = analyzeScript(file);
  try {
    if (analysis.directives.transaction) await sendScript(context, fileScript(file), wording);
    else for (const statement of analysis.statements.slice(0, statements)) await sendScript(context, aloneScript(file, statement), wording);
  } catch (error) {
    if (isPgshiftError(error) && error.code === 'MIGRATION_FAILED') throw rewrap(error, 'MIGRATION_FAILED', `${words.failure}: ${error.message}`);
    throw error;
  }
}
