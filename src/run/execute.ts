import { PgshiftError } from '../core/errors.js';
import type { Script } from '../db/scripts.js';
import { ServerError } from '../db/session.js';
import { explainFailure, type Direction, type FailureContext } from './failure.js';

export interface RunContext extends FailureContext {
  readonly signal?: AbortSignal | undefined;
}

/**
 * Sends one script and waits for it. On failure the open transaction is rolled back before anything else is
 * said, so no error path can leave a migration half-applied. An abort cancels the running statement on the
 * server (the same cancel request psql sends on Ctrl-C).
 */
export async function runScript(context: RunContext, script: Script, direction: Direction): Promise<number> {
  const { session, signal } = context;
  if (signal?.aborted) throw interrupted(script);
  const cancel = (): void => void session.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  const started = performance.now();
  try {
    await session.execute(script.text);
    return Math.round(performance.now() - started);
  } catch (error) {
    if (error instanceof ServerError) await session.execute('ROLLBACK').catch(() => undefined);
    if (signal?.aborted) throw interrupted(script);
    if (error instanceof ServerError) throw await explainFailure(context, script, direction, error);
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

export function interrupted(script?: Script): PgshiftError {
  const during = script ? ` while running ${script.file.path}` : '';
  return new PgshiftError('INTERRUPTED', `interrupted${during}`, {
    hint: script
      ? 'the running statement was cancelled and its transaction rolled back: nothing from that file was applied'
      : 'nothing was left half-done',
  });
}
