import { defined } from '../core/defined.js';
import { isPgshiftError, PgshiftError, rewrap } from '../core/errors.js';
import type { Session } from '../db/session.js';
import type { Script } from '../db/wire-sql.js';
import { LEDGER_CHANGED_STATE, LEDGER_DROPPED_STATE } from '../db/ledger-guard.js';
import { lockHolder, lockKey, lockLostAt, pollLock } from '../db/lock.js';
import { ServerError } from '../db/server-error.js';
import { LEDGER_MOVED_STATE, LOCK_BUSY_STATE } from '../db/xact-lock.js';
import { explainFailure, LEDGER_TAMPERED_HINT, lockLost, scriptLabel, type FailureContext, type FailureWording } from './failure.js';

export interface ScriptContext extends FailureContext {
  readonly signal?: AbortSignal | undefined;
  /** --lock-wait: how long a script that found the migration lock taken (--lock transaction) is sent again. */
  readonly lockWaitMs?: number | undefined;
  /** Starts watching the script just sent (operations/progress.ts); the function returned says it ended. */
  readonly watch?: (() => () => void) | undefined;
}

type Row = Readonly<Record<string, unknown>>;

/** How a script sent ended: its rows, or its error (held, so that a script nobody waits for fails quietly). */
type Outcome = { readonly rows: readonly Row[] } | { readonly error: unknown };

/** A script sent before its turn, behind the one ahead of it (pipelined): its turn reads how it ended. */
export interface SentAhead {
  readonly outcome: Promise<Outcome>;
}

/**
 * Sends `script` now, behind whatever the session is running: the server starts it as soon as that is done,
 * with no round trip between. Only for a script that runs nothing unless the one ahead of it committed
 * (committed.ts); if that one fails, this one's outcome is never read.
 */
export function sendAhead(session: Session, script: Script): SentAhead {
  return { outcome: executed(session, script) };
}

function executed(session: Session, script: Script): Promise<Outcome> {
  const rows: Row[] = [];
  return session.execute(script.text, (row) => rows.push(row)).then(
    () => ({ rows }),
    (error: unknown) => ({ error }),
  );
}

/** A script's part in a pipeline: its own execution already started (`sent`), and the next to start behind it (`follow`). */
export interface Pipelining {
  readonly sent?: SentAhead | undefined;
  readonly follow?: (() => SentAhead) | undefined;
}

export interface Sent {
  readonly durationMs: number;
  /** The next script, started behind this one (`follow`): set only when this one succeeded at its first attempt. */
  readonly ahead?: SentAhead | undefined;
}

/**
 * Sends one script, and under --lock transaction sends it again while another run holds the migration lock
 * (its transaction failed at its start, before anything of its files ran), up to --lock-wait. Only its first
 * attempt is pipelined: the script behind an attempt that failed ran nothing, and is sent again in its turn.
 */
export async function sendScript(context: ScriptContext, script: Script, wording: FailureWording, onRow?: (row: Row) => void, pipelining: Pipelining = {}): Promise<Sent> {
  let sent: Sent = { durationMs: 0 };
  let pipe = pipelining;
  const attempt = async (): Promise<boolean> => {
    try {
      sent = await sendOnce(context, script, wording, onRow, pipe);
      return true;
    } catch (error) {
      if (error instanceof LockBusy) return false;
      throw error;
    } finally {
      pipe = {};
    }
  };
  const { session, table, logger, signal } = context;
  await pollLock(attempt, () => lockHolder(session, lockKey(table)), { waitMs: context.lockWaitMs ?? 0, logger, signal });
  return sent;
}

/** The transaction found the migration lock taken (LOCK_BUSY_STATE), and was rolled back. */
class LockBusy extends Error {}

/**
 * Sends one script once (or reads how it ended, when it was sent ahead) and waits for it. On failure the open
 * transaction is rolled back before anything else is said, so no error path can leave a migration
 * half-applied. An abort cancels the running statement on the server (the same cancel request psql sends on
 * Ctrl-C); a script already sent is still waited for, since it may have committed. Rows the script returns
 * go to `onRow`.
 */
async function sendOnce(context: ScriptContext, script: Script, wording: FailureWording, onRow: ((row: Row) => void) | undefined, pipe: Pipelining): Promise<Sent> {
  const { session, signal } = context;
  const label = scriptLabel(script);
  if (signal?.aborted && pipe.sent === undefined) throw interrupted(label, wording.stopped);
  const cancel = (): void => void session.cancel().catch(() => undefined);
  // Only a script already sent gets here aborted: it may be running now.
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  const started = performance.now();
  const execution = pipe.sent?.outcome ?? executed(session, script);
  const ahead = signal?.aborted ? undefined : pipe.follow?.();
  const unwatch = context.watch?.();
  try {
    const outcome = await execution;
    if ('error' in outcome) throw outcome.error;
    for (const row of outcome.rows) onRow?.(row);
    return { durationMs: Math.round(performance.now() - started), ahead };
  } catch (error) {
    if (error instanceof ServerError && script.transaction) await session.rollback();
    // Found the lock taken, nothing of the file ran: an interrupt meanwhile is one of the wait (pollLock).
    if (error instanceof ServerError && error.fields.sqlState === LOCK_BUSY_STATE) throw new LockBusy(error.message);
    if (signal?.aborted) throw interrupted(label, wording.stopped);
    const lost = lockLostAt(error);
    if (lost) throw lockLost(lost.where ?? (label === undefined ? undefined : `before ${label}`), wording.stopped);
    if (error instanceof ServerError && error.fields.sqlState === LEDGER_MOVED_STATE) throw ledgerMoved(error, label, wording);
    if (error instanceof ServerError && error.fields.sqlState === LEDGER_CHANGED_STATE) throw ledgerChanged(error, wording.ledgerChanged);
    if (error instanceof ServerError && error.fields.sqlState === LEDGER_DROPPED_STATE) throw new PgshiftError('LEDGER_TAMPERED', error.message, { hint: LEDGER_TAMPERED_HINT });
    if (error instanceof ServerError) throw await explainFailure(context, script, error, wording);
    if (isPgshiftError(error) && error.code === 'CONNECTION_LOST') throw connectionLost(error, label, script.transaction, wording);
    throw error;
  } finally {
    unwatch?.();
    signal?.removeEventListener('abort', cancel);
  }
}

/** A lost connection said with the file it was running and what that leaves applied. */
function connectionLost(error: PgshiftError, path: string | undefined, transaction: boolean, wording: FailureWording): PgshiftError {
  const hint =
    wording.stopped !== undefined
      ? `${wording.stopped}; check the connection first`
      : transaction
        ? `the server rolled back the transaction that was open when the connection ended: nothing from ${path ?? 'that file'} was applied and no ledger row was written; run the command again once the server is reachable`
        : error.hint;
  return rewrap(error, error.code, path === undefined ? error.message : `${error.message} (while running ${path})`, defined({ hint }));
}

function ledgerMoved(error: ServerError, path: string | undefined, wording: FailureWording): PgshiftError {
  const command = wording.code === 'ROLLBACK_FAILED' ? 'down' : 'up';
  return new PgshiftError('LEDGER_MOVED', error.message, {
    hint: `another run changed the ledger after this one planned from it (--lock transaction takes the lock only inside each transaction); nothing of ${path ?? 'that file'} ran; run ${command} again`,
  });
}

function ledgerChanged(error: ServerError, where = "the ledger is as it was and that file's work is not recorded"): PgshiftError {
  return new PgshiftError('LEDGER_CHANGED', error.message, {
    hint: `only pgshift may write its ledger rows, as it applies and reverts files: the transaction that changed them was rolled back: ${where}. Take the statements that write those tables out of the file and run the command again`,
  });
}

export function interrupted(path?: string, hint?: string): PgshiftError {
  return new PgshiftError('INTERRUPTED', `interrupted${path ? ` while running ${path}` : ''}`, {
    hint:
      hint ??
      (path
        ? 'the running statement was cancelled and its transaction rolled back: nothing it ran was applied'
        : 'nothing was left half-done'),
  });
}
