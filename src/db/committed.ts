/**
 * What lets a file's transaction be sent before the one ahead of it has finished (pipelined: the server
 * starts on it at once, with no round trip and none of the client's work in between). Such a transaction
 * first checks that the one before it committed, so that nothing runs after a file that was not applied: a
 * failure inside a transaction leaves it aborted, which refuses whatever follows anyway, but a transaction
 * whose COMMIT failed (a deferred constraint) has ended, and the next one would run. The previous script
 * says it committed with a session setting made by its transaction just before its COMMIT: a setting made
 * in a transaction is kept when it commits and undone when it does not. Not a statement after the COMMIT:
 * a cancel request (Ctrl-C) that reaches the server during the COMMIT takes effect at the next statement,
 * and would fail the script of a file that did commit; with the COMMIT last, it falls on an idle session,
 * where the server drops it.
 *
 * Under --lock transaction none of this is needed: each transaction checks that the ledger is as the run
 * planned it (xact-lock.ts), so one after a file that was not applied fails there.
 */
import { quoteLiteral } from '../core/sql-quote.js';

/**
 * The file before this one was not applied: this transaction ran nothing. pgshift's own SQLSTATE, as in
 * ledger-guard.ts; never reported, since the executor drops the outcome of a script sent behind a failure.
 */
const PREVIOUS_UNCOMMITTED_STATE = 'PGL05';

const COMMITTED_SETTING = 'pgshift.committed';

/** The last statement before the COMMIT of a transaction that a next one may follow before it has finished. */
export function committedSql(version: number): string {
  return `SET ${COMMITTED_SETTING} = '${version}';\n`;
}

/** The file whose transaction must have committed before the next one runs. */
export interface Previous {
  readonly version: number;
  readonly path: string;
}

/** The PL/pgSQL statement that opens the next one: `previous`'s transaction must have committed. */
export function committedStatement(previous: Previous, command: 'up' | 'down'): string {
  const message = quoteLiteral(`${previous.path} was not ${command === 'up' ? 'applied' : 'reverted'}, so the file after it did not run`);
  return `IF current_setting('${COMMITTED_SETTING}',true) IS DISTINCT FROM '${previous.version}' THEN RAISE EXCEPTION USING ERRCODE = '${PREVIOUS_UNCOMMITTED_STATE}', MESSAGE = ${message}; END IF;`;
}
