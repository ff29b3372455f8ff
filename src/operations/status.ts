/** `status`: each version's state from the files and the ledger, and who holds the lock now. */
import type { CallOptions, StatusResult } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { defined } from '../core/defined.js';
import { statusOf } from '../core/status.js';
import { repeatableStatus } from '../core/plan-repeatables.js';
import { readRepeats } from '../db/repeat-table.js';
import { lockHolder as heldBy, lockKey } from '../db/lock.js';
import { withFiles } from './files.js';

export async function status(context: ResolvedOptions, call: CallOptions): Promise<StatusResult> {
  return withFiles(context, { lock: false, writes: false, signal: call.signal }, async (catalog, { session, table }, read) => {
    const history = await read;
    const lockHolder = await heldBy(session, lockKey(table));
    // Read only when the folder has files: a project without repeatables pays no query for them.
    const repeatables = catalog.repeatables.length === 0 ? [] : repeatableStatus(catalog, await readRepeats(session, table));
    return { entries: statusOf(catalog, history.rows), repeatables, problems: catalog.problems, ...defined({ lockHolder }) };
  });
}
