/** `repair`: records the current checksums of changed applied files (executor/repair.ts decides which). */
import type { RepairOptions } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { repairLedger, type RepairResult } from '../executor/repair.js';
import { loadForWrite } from './files.js';
import { refuseTransactionLock } from './lock-scope.js';
import { withRun } from './run.js';

export async function repair(context: ResolvedOptions, call: RepairOptions): Promise<RepairResult> {
  refuseTransactionLock(context, 'repair');
  const catalog = await loadForWrite(context);
  // Like the other dry runs, a dry repair only reads: no lock, no provenance to record.
  const writes = !call.dryRun;
  return withRun(context, { lock: writes, writes, signal: call.signal }, ({ session, table, logger }) =>
    repairLedger({ session, table, logger, cwd: context.cwd }, catalog, call),
  );
}
