/**
 * A scratch database brought to where the target stands: the files its ledger records, replayed in the
 * order they were applied. drift compares the result with the target; trace runs the pending files on it.
 */
import type { ResolvedOptions } from '../config/migrator-options.js';
import { isPgshiftError, rewrap } from '../core/errors.js';
import type { ReplayStep } from '../core/replay-plan.js';
import type { RepeatableFile, ScriptFile } from '../core/types.js';
import { quoteIdentifier } from '../core/sql-quote.js';
import { createLedgerSql, type LedgerTable } from '../db/ledger.js';
import { replayFile } from '../executor/replay.js';
import type { Run } from './run.js';

/**
 * The scratch database as `up` would have left it: the ledger (and the schema option) first, then every
 * file. `steps` undefined: the target has no ledger, so pgshift made nothing there, not even its schema.
 * `scratch` is the run with the scratch database's session in place of the target's.
 */
export async function rebuildApplied(
  context: ResolvedOptions,
  scratch: Run,
  steps: readonly ReplayStep[] | undefined,
  purpose: string,
  repeatables: readonly RepeatableFile[] = [],
): Promise<void> {
  if (steps === undefined) return;
  await scratch.session.execute(ledgerFirst(scratch.table, context.schema));
  const consequence = purpose === 'drift' ? 'that is drift too' : 'the target holds something its migrations do not make (pgshift drift shows what)';
  const hint = `it needs something the migrations before it do not create (a role, an extension, an object made by hand): ${consequence}; create it in a migration, or build the scratch schema on a server that has it with ${context.words.wording.option('scratch-database')}`;
  const replayed: ReadonlyArray<{ readonly file: ScriptFile; readonly statements?: number | undefined }> = [...steps, ...repeatables.map((file) => ({ file }))];
  for (const step of replayed) {
    const failure = `${step.file.path} ran on the target but fails on a database built from the migrations alone`;
    await replayFile(scratch, step.file, { failure, hint }, step.statements).catch((error: unknown) => {
      if (!isPgshiftError(error)) throw error;
      if (error.code === 'MIGRATION_FAILED') throw rewrap(error, 'REPLAY_FAILED', error.message);
      if (error.code !== 'INTERRUPTED') throw error;
      throw rewrap(error, 'INTERRUPTED', `${purpose} interrupted while replaying ${step.file.path} in its scratch database`, {
        hint: 'nothing was changed on the target, and the scratch database is dropped',
      });
    });
  }
  const also = repeatables.length === 0 ? '' : ` and ${repeatables.length} repeatable file${repeatables.length === 1 ? '' : 's'}`;
  scratch.logger.info(`${purpose}: replayed ${steps.length} applied migration${steps.length === 1 ? '' : 's'}${also} in the scratch database`);
}

function ledgerFirst(table: LedgerTable, schema: string | undefined): string {
  const own = schema === undefined ? '' : `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)};\n`;
  // A fresh database has only public: IF NOT EXISTS on it would log a notice that says nothing.
  return `${own}${createLedgerSql(table, { schemaExists: table.schema === 'public' })}`;
}
