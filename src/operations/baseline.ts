/** `baseline`: records migrations up to a version as applied without running them, under the lock. */
import type { BaselineOptions, MigrationsResult } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { planBaseline } from '../core/baseline.js';
import { baselineSql } from '../db/wire-sql.js';
import { loadForWrite } from './files.js';
import { ledgerSetup } from './history.js';
import { readHistory } from './ledger-read.js';
import { refuseTransactionLock } from './lock-scope.js';
import { withRun } from './run.js';

export async function baseline(context: ResolvedOptions, call: BaselineOptions): Promise<MigrationsResult> {
  refuseTransactionLock(context, 'baseline');
  const catalog = await loadForWrite(context);
  return withRun(context, { lock: true, writes: true, signal: call.signal }, async ({ session, table, logger }) => {
    const history = await readHistory(session, table);
    const files = planBaseline(catalog, history.rows, call.version, context.words);
    await session.execute(baselineSql(table, files, ledgerSetup(history.ledger)));
    const migrations = files.map((file) => ({ direction: 'up', version: file.version, name: file.name, path: file.path, durationMs: 0 }) as const);
    logger.info(`baseline: recorded ${files.length} migration(s) up to version ${call.version} as applied, without running them`);
    return { migrations };
  });
}
